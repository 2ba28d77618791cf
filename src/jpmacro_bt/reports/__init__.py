"""Reports: the tearsheet, run folders, comparison, sweep and suite pages."""
