#pragma once
// A small SVG line chart: training loss and validation PSNR per epoch, with horizontal
// reference lines. SVG needs no library and any browser shows it.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "ctnn/io/atomic_write.hpp"

namespace n2n {

struct ReferenceLine {
  std::string label;
  double value;
  std::string color;
};

struct Panel {
  std::string title, y_label;
  std::vector<double> values;  // one per epoch
  std::vector<ReferenceLine> references;
};

inline std::string svg_panel(const Panel& p, double x0, double y0, double w, double h) {
  std::vector<double> all = p.values;
  for (const auto& r : p.references)
    all.push_back(r.value);
  double lo = all.empty() ? 0 : *std::min_element(all.begin(), all.end());
  double hi = all.empty() ? 1 : *std::max_element(all.begin(), all.end());
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  const double pad = 0.08 * (hi - lo);
  lo -= pad;
  hi += pad;
  const double left = x0 + 60, right = x0 + w - 150, top = y0 + 30, bottom = y0 + h - 40;
  const std::size_t n = p.values.size();
  auto X = [&](std::size_t i) {
    return n <= 1 ? (left + right) / 2 : left + (right - left) * double(i) / double(n - 1);
  };
  auto Y = [&](double v) { return bottom - (bottom - top) * (v - lo) / (hi - lo); };
  char buf[512];
  std::string s;
  std::snprintf(buf, sizeof buf,
                "<text x='%.1f' y='%.1f' font-size='15' font-weight='bold'>%s</text>\n", left,
                y0 + 18, p.title.c_str());
  s += buf;
  std::snprintf(buf, sizeof buf,
                "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='none' stroke='#888'/>\n",
                left, top, right - left, bottom - top);
  s += buf;
  for (int k = 0; k <= 4; ++k) {
    const double v = lo + (hi - lo) * k / 4.0;
    std::snprintf(buf, sizeof buf,
                  "<text x='%.1f' y='%.1f' font-size='11' text-anchor='end'>%.4g</text>\n",
                  left - 4, Y(v) + 4, v);
    s += buf;
  }
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf,
                  "<text x='%.1f' y='%.1f' font-size='11' text-anchor='middle'>%zu</text>\n", X(i),
                  bottom + 14, i + 1);
    s += buf;
  }
  std::snprintf(buf, sizeof buf,
                "<text x='%.1f' y='%.1f' font-size='12' text-anchor='middle'>epoch</text>\n",
                (left + right) / 2, bottom + 32);
  s += buf;
  std::snprintf(buf, sizeof buf,
                "<text x='%.1f' y='%.1f' font-size='12' transform='rotate(-90 %.1f %.1f)' "
                "text-anchor='middle'>%s</text>\n",
                x0 + 14, (top + bottom) / 2, x0 + 14, (top + bottom) / 2, p.y_label.c_str());
  s += buf;
  double label_y = top + 10;
  for (const auto& r : p.references) {
    std::snprintf(
        buf, sizeof buf,
        "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='%s' stroke-dasharray='5,4'/>\n<text "
        "x='%.1f' y='%.1f' font-size='11' fill='%s'>%s (%.2f)</text>\n",
        left, right, Y(r.value), Y(r.value), r.color.c_str(), right + 6, label_y, r.color.c_str(),
        r.label.c_str(), r.value);
    s += buf;
    label_y += 15;
  }
  std::string pts;
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%.1f,%.1f ", X(i), Y(p.values[i]));
    pts += buf;
  }
  s += "<polyline fill='none' stroke='#1f77b4' stroke-width='2' points='" + pts + "'/>\n";
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "<circle cx='%.1f' cy='%.1f' r='3' fill='#1f77b4'/>\n", X(i),
                  Y(p.values[i]));
    s += buf;
  }
  return s;
}

/// Writes both panels side by side (atomically).
inline void write_curves_svg(const std::filesystem::path& path, const Panel& loss,
                             const Panel& psnr) {
  const double w = 560, h = 340;
  std::string svg =
      "<svg xmlns='http://www.w3.org/2000/svg' width='1120' height='340' "
      "font-family='sans-serif'>\n<rect width='100%' height='100%' fill='white'/>\n";
  svg += svg_panel(loss, 0, 0, w, h);
  svg += svg_panel(psnr, w, 0, w, h);
  svg += "</svg>\n";
  ctnn::io::write_atomically(path, [&](ctnn::io::ByteSink& out) { out.write(svg); });
}

}  // namespace n2n
