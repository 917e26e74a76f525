"""The command line's tools that work on local files: `convert`, `backup` (with `files`,
finding the inputs, and `local`, the service they share) and `warm`."""
