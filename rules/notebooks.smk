# Exploration notebooks: one rule per entry of NOTEBOOKS (rules/common.smk), run with
# papermill by a thin script. The notebook is an input, so editing it reruns that
# notebook alone; the run's paths and settings reach it as visible parameters.


for _name in NOTEBOOKS:

    rule:
        name:
            f"notebook_{_name}"
        input:
            notebook=f"report/notebooks/{_name}.ipynb",
            data=notebook_inputs(_name),
        output:
            ipynb=f"results/notebooks/{{dataset}}/{_name}.ipynb",
            html=report(
                f"results/notebooks/{{dataset}}/{_name}.html",
                caption=f"../report/captions/notebook_{_name}.rst",
                category=NOTEBOOKS[_name]["suite"],
                subcategory="Notebooks",
                labels={"result": _name.replace("_", " ")},
            ),
        log:
            f"results/logs/notebook_{_name}/{{dataset}}.log",
            # papermill's copy as it executes: on a failing cell, the traceback is here
            notebook=f"results/logs/notebook_{_name}/{{dataset}}.ipynb",
        benchmark:
            f"results/benchmarks/notebook_{_name}/{{dataset}}.tsv"
        conda:
            "../envs/notebooks.yaml"
        params:
            parameters=notebook_parameters(_name),
        script:
            "../scripts/run_notebook.py"
