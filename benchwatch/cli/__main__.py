from benchwatch.cli import app

app()
