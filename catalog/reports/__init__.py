"""Reports and the annual assessment (issue 18): figures per organization, town and city
and period from one query layer, the monthly report card, station ratings, the annual
assessment and red flags. Pages, the API, the CLI and the exports all read
:class:`Report` tables built here.

``from catalog import reports`` gives the parts pages and the CLI use."""
