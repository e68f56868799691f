# Helpers shared by Vole's python tests.
