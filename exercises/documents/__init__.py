"""Documents of the field: spreadsheets, CSV files, MSEL sheets and incident logs handed in or out."""
