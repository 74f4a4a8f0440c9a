from borderflow.cli import app

app(prog_name="borderflow")
