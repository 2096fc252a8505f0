"""graviton-llm's policy pack: the engine runs this file, from this folder, in venv/."""

from graviton_llm.policy import serve

serve()
