{#- The one rule that decides whether a GitHub login is a bot (docs/architecture.md §5): the login ends in `[bot]`
    (GitHub Apps, any case), or it is listed in the seed github_bot_accounts (case-insensitive). Never NULL. -#}
{% macro is_bot_login(login) -%}
    coalesce(
        lower({{ login }}) like '%[bot]'
        or lower({{ login }}) in (select lower(bot_accounts.login) from {{ ref('github_bot_accounts') }} as bot_accounts),
        false
    )
{%- endmacro %}
