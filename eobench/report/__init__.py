"""What a reader opens: HTML renderings for ``snakemake --report``, the run page and the
paper folder (LaTeX tables, figure PDFs and the macros of every quoted number)."""
