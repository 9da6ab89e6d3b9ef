// The charts' axes and the report page (plot.hpp, report.hpp): a loss axis never below 0, a log
// axis where the values span more than 5x, round ticks inside the axis, smoothing, and a page
// that needs nothing from elsewhere. How they look in a browser is checked by
// example.noise2noise_report_browser.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "plot.hpp"
#include "report.hpp"

using namespace n2n;

namespace {

Chart loss_chart(std::vector<double> y) {
  std::vector<double> x;
  for (std::size_t i = 0; i < y.size(); ++i)
    x.push_back(double(i + 1) / double(y.size()));
  return Chart{"loss", "epoch", "loss", {{"loss", x, y}}, {}, AxisScale::automatic, true};
}

void check_ticks(const Axis& a) {
  REQUIRE(a.ticks.size() >= 2);
  for (std::size_t i = 0; i < a.ticks.size(); ++i) {
    CHECK(a.ticks[i] >= a.lo * (1 - 1e-9));
    CHECK(a.ticks[i] <= a.hi * (1 + 1e-9));
    if (i > 0) CHECK(a.ticks[i] > a.ticks[i - 1]);
  }
}

}  // namespace

TEST_CASE("plot: one loss point gives an axis around it, never below 0") {
  const Axis a = y_axis(loss_chart({0.0389}));  // the one-epoch run's single point
  CHECK_FALSE(a.log);
  CHECK(a.lo >= 0);
  CHECK(a.lo < 0.0389);
  CHECK(a.hi > 0.0389);
  check_ticks(a);
}

TEST_CASE("plot: a loss falling towards 0 keeps a linear axis from 0 up") {
  const Axis a = y_axis(loss_chart({0.004, 0.003, 0.001, 0.0}));
  CHECK_FALSE(a.log);
  CHECK(a.lo == 0);
  check_ticks(a);
}

TEST_CASE("plot: a log axis when the values span more than 5x, linear otherwise") {
  const Axis a = y_axis(loss_chart({0.055, 0.03, 0.02, 0.012, 0.0105}));
  CHECK(a.log);
  CHECK(a.lo > 0);
  CHECK(a.lo < 0.0105);
  CHECK(a.hi > 0.055);
  check_ticks(a);
  CHECK(a.ticks.size() <= 9);
  CHECK_FALSE(y_axis(loss_chart({0.04, 0.03, 0.02})).log);
}

TEST_CASE("plot: a PSNR axis holds the values and the reference lines") {
  Chart c{"psnr", "epoch", "dB", {{"psnr", {0.2, 1}, {20.8, 23.8}}}, {{"a", 25.3, "red"}}};
  const Axis a = y_axis(c);
  CHECK(a.lo <= 20.8);
  CHECK(a.hi >= 25.3);
  check_ticks(a);
  CHECK(a.ticks.front() >= 15);  // not dragged to 0
}

TEST_CASE("plot: smoothing starts at the first value and keeps a constant") {
  const auto s = smoothed({1, 1, 1}, 0.9);
  CHECK(s == std::vector<double>{1, 1, 1});
  const auto t = smoothed({2, 0}, 0.5);
  CHECK(t[0] == 2);
  CHECK(t[1] == Approx(1.0 / 1.5));
}

TEST_CASE("plot: the SVG has each chart's area and escapes its text") {
  const std::string svg =
      charts_svg({loss_chart({0.05, 0.04}), Chart{"PSNR <pooled> & mean", "epoch", "dB", {}, {}}});
  CHECK(svg.find("PSNR &lt;pooled&gt; &amp; mean") != std::string::npos);
  std::size_t areas = 0;
  for (std::size_t p = 0; (p = svg.find("class='chart-area'", p)) != std::string::npos; ++p)
    ++areas;
  CHECK(areas == 2);
}

TEST_CASE("report: base64 and a page that needs nothing from elsewhere") {
  CHECK(base64("") == "");
  CHECK(base64("f") == "Zg==");
  CHECK(base64("fo") == "Zm8=");
  CHECK(base64("foo") == "Zm9v");
  CHECK(base64("foobar") == "Zm9vYmFy");
  std::vector<std::uint8_t> tile(3 * 32 * 32, 128);
  Report r;
  r.title = "run";
  r.configuration = {{"model", "a<b>"}};
  r.results = {{"noisy input", "measured", 20, 21}, {"course", "quoted", 23, 0}};
  r.curves_svg = charts_svg({loss_chart({0.05, 0.04})});
  r.samples = {{tile_png(tile.data()), tile_png(tile.data()), tile_png(tile.data()), 20, 25}};
  const std::string page = report_html(r);
  CHECK(page.find("a&lt;b&gt;") != std::string::npos);
  CHECK(page.find("20.00 dB &#8594; 25.00 dB") != std::string::npos);
  CHECK(page.find("src='data:image/png;base64,iVBORw0KGgo") != std::string::npos);
  for (const char* outside : {"src='http", "src='file", "href=", "<link", "@import", "url("})
    CHECK(page.find(outside) == std::string::npos);
}
