#!/bin/sh
# Prints a greeting for the name given, or for the world.
echo "Hello, ${1:-world}!"
