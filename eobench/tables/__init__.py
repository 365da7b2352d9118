"""Tables of the paper, rendered from tidy score tables with jinja2 templates."""
