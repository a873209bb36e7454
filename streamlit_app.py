"""The Hotwash console: ``hotwash serve`` (or ``streamlit run streamlit_app.py``) runs this.

The pages live in the ``console`` package; this script only builds the navigation for whoever is
signed in on this browser tab, and runs the chosen page.
"""

from console.app import main

# Streamlit runs this file as "__main__"; a simulation worker process (the baseline's process pool)
# imports it under another name and must not draw the console.
if __name__ == "__main__":
    main()
