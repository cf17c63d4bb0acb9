"""MLC1010 (M2.1.6): Scrapy collectors obey robots directives and TDM reservations."""

from __future__ import annotations

from mlsvs.checks.pipeline.collection_optouts import collectors_honour_optouts
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, write

SETTINGS = """# Scrapy settings for the product-reviews collector
BOT_NAME = "reviews"
SPIDER_MODULES = ["reviews.spiders"]
NEWSPIDER_MODULE = "reviews.spiders"
USER_AGENT = "acme-research-bot/2.1 (+https://acme.example.com/bot)"
ROBOTSTXT_OBEY = {obey}
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.5
AUTOTHROTTLE_ENABLED = True
DOWNLOADER_MIDDLEWARES = {{
    "reviews.middlewares.TdmReservationMiddleware": {tdm},
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
}}
FEED_EXPORT_ENCODING = "utf-8"
"""

MIDDLEWARES = '''"""Drop pages whose publisher reserved text and data mining (W3C TDMRep)."""

from scrapy.exceptions import IgnoreRequest


class TdmReservationMiddleware:
    def process_response(self, request, response, spider):
        if response.headers.get("tdm-reservation", b"0").strip() == b"1":
            spider.logger.info("TDM reserved, dropped: %s", response.url)
            raise IgnoreRequest(f"tdm-reservation on {response.url}")
        return response
'''

SPIDER = """import scrapy


class ReviewsSpider(scrapy.Spider):
    name = "reviews"
    start_urls = ["https://shop.example.com/reviews"]
    custom_settings = {{"ROBOTSTXT_OBEY": {obey}, "DOWNLOAD_DELAY": 2}}

    def parse(self, response):
        for review in response.css("div.review"):
            yield {{"text": review.css("p::text").get(), "stars": review.attrib.get("data-stars")}}
"""


def _project(tmp_path, *, obey="True", tdm="543", spider_obey="True"):
    return write(
        tmp_path,
        {
            "collect/scrapy.cfg": "[settings]\ndefault = reviews.settings\n",
            "collect/reviews/__init__.py": "",
            "collect/reviews/settings.py": SETTINGS.format(obey=obey, tdm=tdm),
            "collect/reviews/middlewares.py": MIDDLEWARES,
            "collect/reviews/spiders/__init__.py": "",
            "collect/reviews/spiders/reviews.py": SPIDER.format(obey=spider_obey),
        },
    )


def _statuses(project):
    return [o.status for o in run(collectors_honour_optouts, project)]


def test_robots_and_tdm_middleware_pass(tmp_path) -> None:
    outcomes = run(collectors_honour_optouts, _project(tmp_path))
    assert [o.status for o in outcomes] == [Status.PASS]
    assert "TdmReservationMiddleware" in outcomes[0].message


def test_robots_off_in_settings_or_spider_fails(tmp_path) -> None:
    assert _statuses(_project(tmp_path / "a", obey="False")) == [Status.FAIL]
    outcomes = run(collectors_honour_optouts, _project(tmp_path / "b", spider_obey="False"))
    assert [o.status for o in outcomes] == [Status.FAIL]
    assert "spider ReviewsSpider" in outcomes[0].message


def test_tdm_middleware_disabled_fails(tmp_path) -> None:
    outcomes = run(collectors_honour_optouts, _project(tmp_path, tdm="None"))
    assert [o.status for o in outcomes] == [Status.FAIL]
    assert "TDM reservations" in outcomes[0].message


def test_no_collector_or_unparsable_is_not_verified(tmp_path) -> None:
    assert _statuses(write(tmp_path / "a", {"train.py": "print('train')\n"})) == [Status.ABSTAINED]
    project = write(tmp_path / "b", {"collect/reviews/settings.py": "BOT_NAME = (\n"})
    outcomes = run(collectors_honour_optouts, project)
    assert [o.status for o in outcomes] == [Status.NOT_VERIFIED] and outcomes[0].key == "unread"
