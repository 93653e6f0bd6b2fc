"""One module per reproduction job. Each defines Params, PRESETS, run(params, ctx), verdict(result)."""
