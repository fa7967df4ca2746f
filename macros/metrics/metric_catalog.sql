{#- The metric catalog: one entry per metric. Each entry becomes one model, models/marts/metrics/<name>.sql
    (its whole text is `{{ metric_timeseries('<name>') }}`), a daily timeseries per project and collection.
    README "Add a metric" explains the fields; macros/metrics/_metrics__macros.yml documents them too.

    Fields (defaults in brackets):
      name           the metric and its model's name, snake_case
      description    what it counts, in a sentence a funder understands
      unit           what one unit of `amount` is (commits, developers, days, ...)
      event_types    the int_events event types it reads
      aggregation    sum                  sum of `amount` of the events in the window
                     count_distinct_from  distinct senders (from_artifact_id) in the window
                     count_distinct_to    distinct receivers (to_artifact_id) in the window
                     count_new_from       senders whose first event (ever, for that project or collection) is
                                          in the window
                     count_returning_from senders active in the window whose first event (ever, for that project
                                          or collection) is before it: on day D over N days, an event in
                                          D-N+1..D and the first one on or before D-N (count_distinct_from minus
                                          count_new_from)
                     classify_from        senders active in the window whose number of active days there is at
                                          least `min_days_per_30` and/or below `below_days_per_30` (whole days),
                                          scaled to the window: x days per 30 is ceil(x * N / 30) days in N
                     median_duration      median of a duration in days, of the items completed in the window
                                          (`duration`: pull_request_merge = merged_at - created_at of the PR)
      window_days    a fixed window of that many days, the metric's only one, whatever var metric_windows says
                     (Electric Capital's 28 days); with classify_from, thresholds are `min_days` (at least) and/or
                     `below_days` (fewer than) days of that window, not scaled [none]
      average_days   report the average of the daily value over that many days ending on each day (days before
                     the entity's first event count as 0), as one window of that many days; needs window_days [none]
      exclude_bots   drop events whose sender is a bot (from_artifact_type = 'BOT') [false]
      all_time       also give the `all` window (everything up to the day) [true; false for classify_from,
                     count_new_from, count_returning_from and median_duration, where it means nothing or costs too
                     much]
      requires       the GH Archive payload data the metric needs: commits (PushEvent commits, gone since
                     2025-10-07) or merges (PullRequestEvent merged, gone since 2025-10-07); days without it make
                     the window's `data_complete` false [none]
-#}
{% macro metric_catalog() %}
{%- set catalog_yaml -%}
- name: commit_count
  description: >-
    Commits pushed to the project's repositories, each listed commit once per repository (its first push), plus the
    distinct commits a push says it had beyond the 20 GH Archive lists (its distinct_size); unknown since 2025-10-07.
  unit: commits
  event_types: [COMMIT_CODE, COMMIT_CODE_UNLISTED]
  aggregation: sum
  requires: commits

# People. A developer is a GitHub account (not a bot) that pushed to one of the project's repositories, to any
# branch: GH Archive publishes pushes with the acting account before and after its 2025-10-07 change, so these
# series are complete on both sides of it. Commit authors are a separate view (commit_author_count), complete only
# before the change.
- name: active_developer_count
  description: >-
    Developers: accounts that pushed to any branch of the project's repositories in the window, bots excluded.
  unit: developers
  event_types: [PUSH]
  aggregation: count_distinct_from
  exclude_bots: true

- name: contributor_count
  description: Accounts that pushed to any branch, opened a pull request or opened an issue, bots excluded.
  unit: contributors
  event_types: [PUSH, PULL_REQUEST_OPENED, ISSUE_OPENED]
  aggregation: count_distinct_from
  exclude_bots: true

- name: new_contributor_count
  description: Contributors (as in contributor_count) whose first contribution to the project falls in the window.
  unit: contributors
  event_types: [PUSH, PULL_REQUEST_OPENED, ISSUE_OPENED]
  aggregation: count_new_from
  exclude_bots: true

- name: fulltime_developer_count
  description: >-
    Developers with pushes on at least 10 days per 30 days of the window (3 of 7, 30 of 90, 60 of 180), this
    warehouse's own scaled rule; Electric Capital's is ec_fulltime_developer_count.
  unit: developers
  event_types: [PUSH]
  aggregation: classify_from
  min_days_per_30: 10
  exclude_bots: true

- name: parttime_developer_count
  description: >-
    Developers with pushes on fewer than 10 days per 30 days of the window (but at least one); full-time plus
    part-time is active_developer_count.
  unit: developers
  event_types: [PUSH]
  aggregation: classify_from
  below_days_per_30: 10
  exclude_bots: true

- name: pr_opened_count
  description: Pull requests opened.
  unit: pull requests
  event_types: [PULL_REQUEST_OPENED]
  aggregation: sum

- name: pr_merged_count
  description: Pull requests merged (known only while GH Archive payloads said `merged`, until 2025-10-07).
  unit: pull requests
  event_types: [PULL_REQUEST_MERGED]
  aggregation: sum
  requires: merges

- name: issue_opened_count
  description: Issues opened.
  unit: issues
  event_types: [ISSUE_OPENED]
  aggregation: sum

- name: issue_closed_count
  description: Issues closed.
  unit: issues
  event_types: [ISSUE_CLOSED]
  aggregation: sum

- name: star_count
  description: Stars given (GitHub WatchEvents); an unstar is not in GH Archive, so this counts stars received.
  unit: stars
  event_types: [STARRED]
  aggregation: sum

- name: fork_count
  description: Forks created.
  unit: forks
  event_types: [FORKED]
  aggregation: sum

- name: release_count
  description: Releases published.
  unit: releases
  event_types: [RELEASE_PUBLISHED]
  aggregation: sum

- name: time_to_merge_median_days
  description: Median days from a pull request's creation to its merge, over the pull requests merged in the window.
  unit: days
  event_types: [PULL_REQUEST_MERGED]
  aggregation: median_duration
  duration: pull_request_merge
  requires: merges

# Onchain (Optimism): a transaction is a contract invocation (a call with calldata) of one of the project's
# addresses; senders are addresses, flagged bots (int_optimism__address_bots) left out of the metrics about users.
- name: transaction_count
  description: Transactions calling the project's contracts (contract invocations, reverted ones and bots included).
  unit: transactions
  event_types: [CONTRACT_INVOCATION]
  aggregation: sum

- name: successful_transaction_count
  description: Transactions calling the project's contracts that succeeded (receipt status 1), bots included.
  unit: transactions
  event_types: [CONTRACT_INVOCATION_SUCCESS]
  aggregation: sum

- name: gas_fees_sum
  description: >-
    What senders paid for the transactions of transaction_count (calls of the project's contracts, reverted ones
    and bots included): gas used x effective gas price + the L1 data fee, in ETH, summed exactly (18 decimals) and
    rounded to a double only in the result. Plain transfers and deployments are not calls and pay nothing here.
  unit: ETH
  event_types: [GAS_FEE]
  aggregation: sum

- name: address_count
  description: Addresses that called the project's contracts (distinct senders of transactions), bots excluded.
  unit: addresses
  event_types: [CONTRACT_INVOCATION]
  aggregation: count_distinct_from
  exclude_bots: true

- name: new_address_count
  description: >-
    Addresses (as in address_count) whose first transaction to the project falls in the window: on day D over N
    days, first transaction in D-N+1..D.
  unit: addresses
  event_types: [CONTRACT_INVOCATION]
  aggregation: count_new_from
  exclude_bots: true

- name: returning_address_count
  description: >-
    Addresses (as in address_count) with a transaction in the window and an earlier one before the window began:
    on day D over N days, active in D-N+1..D with their first transaction to the project on or before D-N; an
    address whose first transaction is in the window is new, not returning (address_count = new + returning).
  unit: addresses
  event_types: [CONTRACT_INVOCATION]
  aggregation: count_returning_from
  exclude_bots: true

- name: active_contract_count
  description: The project's contracts called at least once in the window (by anyone, bots included).
  unit: contracts
  event_types: [CONTRACT_INVOCATION]
  aggregation: count_distinct_to

# Electric Capital's developer definitions (their developer report), on push days: evaluated on every day over the
# 28 days ending that day, whatever the var metric_windows; the monthly averages are OSO's published form.
- name: ec_fulltime_developer_count
  description: >-
    Electric Capital full-time developers: accounts with pushes on at least 10 distinct days of the 28 days ending
    on the day, bots excluded.
  unit: developers
  event_types: [PUSH]
  aggregation: classify_from
  window_days: 28
  min_days: 10
  exclude_bots: true

- name: ec_parttime_developer_count
  description: >-
    Electric Capital part-time developers: accounts with pushes on 1 to 9 distinct days of the 28 days ending on
    the day, bots excluded.
  unit: developers
  event_types: [PUSH]
  aggregation: classify_from
  window_days: 28
  below_days: 10
  exclude_bots: true

- name: ec_fulltime_developer_monthly_average
  description: >-
    The average over the 30 days ending on the day of ec_fulltime_developer_count (Electric Capital full-time
    developers, evaluated each day), as OSO publishes it.
  unit: developers
  event_types: [PUSH]
  aggregation: classify_from
  window_days: 28
  min_days: 10
  average_days: 30
  exclude_bots: true

- name: ec_parttime_developer_monthly_average
  description: >-
    The average over the 30 days ending on the day of ec_parttime_developer_count (Electric Capital part-time
    developers, evaluated each day), as OSO publishes it.
  unit: developers
  event_types: [PUSH]
  aggregation: classify_from
  window_days: 28
  below_days: 10
  average_days: 30
  exclude_bots: true

# The commit-author view: richer than pushes before 2025-10-07 (it sees authors who never push themselves, e.g.
# whose pull requests a maintainer merges), unknown after it.
- name: commit_author_count
  description: >-
    People who authored at least one commit (a GitHub account, else a commit e-mail), bots excluded (by login or by
    author name); lower bounds for windows holding days since 2025-10-07.
  unit: developers
  event_types: [COMMIT_CODE]
  aggregation: count_distinct_from
  exclude_bots: true
  requires: commits
{%- endset -%}
{{ return(fromyaml(catalog_yaml)) }}
{% endmacro %}
