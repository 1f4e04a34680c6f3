"""One module per `dedupcrawl` sub-command family; `workers.cli` registers them."""
