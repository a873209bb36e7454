"""The scenario format and its loading: the models, safe YAML loading and validation, durations, core capabilities and media templates."""
