"""graviton-llm's component provider: the engine runs this folder (`python <folder> <engine>`)
in venv/, and every Pulumi language constructs the components through it."""

from graviton_llm.package import serve

if __name__ == "__main__":
    serve()
