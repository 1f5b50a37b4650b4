#!/usr/bin/env python3
"""A scripted browser for `eks-kc login --sso-session`'s sign-in in the browser, started by
eks-kc as BROWSER="python3 fake_browser.py" (the URL is its last argument). It plays the person:
opens the sign-in page (fake_sso.py's /authorize, a consent page), clicks a link, and follows the
redirects, the last of which reaches eks-kc's loopback listener.

FAKE_BROWSER chooses what the person does:
    approve      (default) clicks "allow"
    deny         clicks "deny" (the redirect carries error=access_denied)
    wrong-state  clicks "allow", but the redirect reaches eks-kc with another state (a stale
                 tab, or a page that is not IAM Identity Center's)
    never        looks at the page and never comes back (sleeps FAKE_BROWSER_SLEEP seconds,
                 default 20, then leaves)
FAKE_BROWSER_LOG, when set, gets one JSON line per page loaded: {"url", "status", "body"}.
FAKE_BROWSER_DELAY, when set, is how many seconds the person looks at the page before acting.
FAKE_BROWSER_OPENS, when set, gets one line per time the browser is started.
"""
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def load(url, follow=True):
    """(status, headers, body, final url) of GET url."""
    opener = urllib.request.build_opener(*([] if follow else [NoRedirect()]))
    opener.addheaders = [("User-Agent", "fake_browser.py")]
    try:
        with opener.open(url, timeout=30) as r:
            status, headers, body, final = r.status, r.headers, r.read().decode(errors="replace"), r.url
    except urllib.error.HTTPError as e:
        status, headers, body, final = e.code, e.headers, e.read().decode(errors="replace"), url
    log = os.environ.get("FAKE_BROWSER_LOG")
    if log:
        with open(log, "a") as f:
            f.write(json.dumps({"url": final, "status": status, "body": body}) + "\n")
    return status, headers, body, final


def main():
    mode = os.environ.get("FAKE_BROWSER", "approve")
    url = sys.argv[-1]
    opens = os.environ.get("FAKE_BROWSER_OPENS")
    if opens:
        with open(opens, "a") as f:
            f.write(url[:60] + "\n")
    time.sleep(float(os.environ.get("FAKE_BROWSER_DELAY", "0")))
    status, _, page, final = load(url)
    if status != 200:
        return 1
    if mode == "never":
        time.sleep(float(os.environ.get("FAKE_BROWSER_SLEEP", "20")))
        return 0
    link = re.search(r'id="%s" href="([^"]+)"' % ("deny" if mode == "deny" else "allow"), page)
    if not link:
        return 1
    target = urllib.parse.urljoin(final, link.group(1))
    if mode != "wrong-state":
        load(target)
        return 0
    status, headers, _, _ = load(target, follow=False)
    back = urllib.parse.urlsplit(headers["Location"])
    query = dict(urllib.parse.parse_qsl(back.query))
    query["state"] = "not-" + query["state"]
    load(urllib.parse.urlunsplit(back._replace(query=urllib.parse.urlencode(query))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
