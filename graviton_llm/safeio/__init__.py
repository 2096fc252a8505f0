"""What every command does with what it is given: files read with caps (``files``), numbers
bounded (``bounds``), text printed and never interpreted (``terminal``), one exit code per kind
of outcome (``exits``). Beside the layers, on nothing of the package: every layer may use it."""
