"""What the blueprints share: the base form, paging, safe redirects, error pages,
reading preferences, and the pages more than one blueprint renders. Below the
blueprints, above the domain: nothing here imports a blueprint."""
