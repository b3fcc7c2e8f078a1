"""``benchwatch publish``: the open, citable static report of the published database copy.

release.py writes the dated data release and its manifest chain, api.py the static JSON API,
feeds.py the Atom feeds, site.py the HTML pages (charts.py their SVG), target.py where it all
goes (a folder or an object store), build.py puts them together.
"""
