"""`fazhi serve`: the ledger as a web application for the office and the units (网页版).

A layer beside `cli`: it uses core (the one write path), render (the site's pages and charts, the
reports and exports), engine, book and store, and only `fazhi_cli/cli/serve.py` imports it.

- app.py: the Flask application, its routes and security headers;
- config.py: the server's settings (`fazhi serve` options);
- auth.py: who is who — the trusted proxy's header, or the built-in password login (argon2
  hashes in a file outside git), signed session cookies, CSRF tokens;
- forms.py: a posted form → one call of core.operations, as the logged-in user;
- uploads.py: evidence files: size and type limits, safe names, saved under evidence/<unit>/;
- sync.py: the central repository: pull before and push after each write, roll back a refused push;
- pages.py: the Jinja pages (templates/web/ and the site's templates);
- downloads.py: reports and exports as bytes.
"""
