import os
import sys

# Test helpers (reference.py, ...) live beside the tests; with
# --import-mode=importlib pytest does not put this folder on sys.path itself.
sys.path.insert(0, os.path.dirname(__file__))
