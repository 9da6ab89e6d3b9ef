#pragma once
// Small SVG line charts: the training loss and the validation PSNR over the epochs, with
// labelled horizontal reference lines. SVG needs no library and any browser shows it.
//
// The layout is computed here, without the browser's font metrics: every text is placed in a
// band of its own (title; tick labels left of and below the plot; the axis labels; the legend,
// one entry per row below the plot), and text widths are bounded by a generous estimate of
// the font's advance (0.62 em per character, wider than DejaVu Sans' and Liberation Sans'
// average), so nothing overlaps or leaves the canvas. The ctest case
// example.noise2noise_report_browser checks this in Chromium on the rendered charts.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "ctnn/io/atomic_write.hpp"

namespace n2n {

/// A horizontal line at `value`, named in the legend.
struct ReferenceLine {
  std::string label;
  double value;
  std::string color;
};

/// A line through the points (x[i], y[i]); x and y have the same size.
struct Series {
  std::string label;
  std::vector<double> x, y;
  std::string color = "#1f77b4";
  double width = 2;
  bool markers = false;  // a dot on each point
  double opacity = 1;
};

enum class AxisScale { linear, log, automatic };

struct Chart {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  std::vector<ReferenceLine> references;
  AxisScale y_scale = AxisScale::linear;  // automatic: log when the values span > 5x
  bool non_negative = false;              // the y axis never goes below 0 (a loss)
};

/// Text escaped for XML (SVG and HTML).
inline std::string xml_escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

/// An upper bound of the width of `text` at `font_size` pixels in a sans-serif font.
inline double text_width_bound(const std::string& text, double font_size) {
  return 0.62 * font_size * double(text.size());
}

/// An axis: the data range [lo, hi] mapped to pixels, and its tick values.
struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  std::vector<double> ticks;

  double fraction(double v) const {
    return log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo))
               : (v - lo) / (hi - lo);
  }
};

/// A round step near range / target_ticks: 1, 2 or 5 times a power of ten.
inline double nice_step(double range, int target_ticks) {
  const double raw = range / double(target_ticks);
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0})
    if (m * p >= raw) return m * p;
  return 10 * p;
}

/// A linear axis over [lo, hi] rounded out to whole steps, about 5 ticks; never below 0 when
/// `non_negative`.
inline Axis linear_axis(double lo, double hi, bool non_negative, int target_ticks = 5) {
  if (hi - lo < 1e-12 * std::max(1.0, std::abs(hi))) {
    const double d = std::max(std::abs(hi) * 0.1, 1e-6);
    lo -= d;
    hi += d;
  }
  if (non_negative) lo = std::max(0.0, lo);
  const double step = nice_step(hi - lo, target_ticks);
  Axis a;
  a.lo = std::floor(lo / step + 1e-9) * step;
  a.hi = std::ceil(hi / step - 1e-9) * step;
  if (non_negative) a.lo = std::max(0.0, a.lo);
  for (double v = a.lo; v <= a.hi + step * 1e-6; v += step)
    a.ticks.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  return a;
}

/// A log axis over [lo, hi] (both > 0), padded a little, with ticks at 1, 2 and 5 times the
/// powers of ten (only the powers when those are many, 1..9 when they are few).
inline Axis log_axis(double lo, double hi) {
  Axis a;
  a.log = true;
  const double pad = 0.04 * (std::log10(hi) - std::log10(lo));
  a.lo = std::pow(10.0, std::log10(lo) - pad);
  a.hi = std::pow(10.0, std::log10(hi) + pad);
  for (const auto& mantissas : {std::vector<double>{1, 2, 5}, std::vector<double>{1},
                                std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9}}) {
    a.ticks.clear();
    for (int e = int(std::floor(std::log10(a.lo))); e <= int(std::ceil(std::log10(a.hi))); ++e)
      for (const double m : mantissas) {
        const double v = m * std::pow(10.0, e);
        if (v >= a.lo * (1 - 1e-9) && v <= a.hi * (1 + 1e-9)) a.ticks.push_back(v);
      }
    if (a.ticks.size() >= 3 && a.ticks.size() <= 8) break;
  }
  return a;
}

/// The chart's y axis for its data and reference lines.
inline Axis y_axis(const Chart& c) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& s : c.series)
    for (const double v : s.y)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  for (const auto& r : c.references)
    lo = std::min(lo, r.value), hi = std::max(hi, r.value);
  if (!(lo <= hi)) lo = 0, hi = 1;
  const bool log =
      c.y_scale == AxisScale::log || (c.y_scale == AxisScale::automatic && lo > 0 && hi / lo > 5);
  if (log && lo > 0) return log_axis(lo, hi);
  const double pad = 0.05 * (hi - lo);
  return linear_axis(lo - pad, hi + pad, c.non_negative);
}

/// "0.2", "25", "0.005": short tick labels.
inline std::string tick_label(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

/// The chart as SVG elements in the box (x0, y0, width); returns its height through `height`.
inline std::string svg_chart(const Chart& c, double x0, double y0, double width, double& height) {
  constexpr double title_size = 15, tick_size = 11, label_size = 12, legend_size = 12;
  constexpr double row = 18;  // legend row height
  const double left = x0 + 72, right = x0 + width - 24, top = y0 + 40, bottom = top + 230;
  const Axis ya = y_axis(c);
  double x_max = 0;
  for (const auto& s : c.series)
    for (const double v : s.x)
      x_max = std::max(x_max, v);
  const Axis xa = linear_axis(0, x_max > 0 ? x_max : 1, true, x_max > 1 ? 6 : 5);
  auto X = [&](double v) { return left + (right - left) * xa.fraction(v); };
  auto Y = [&](double v) { return bottom - (bottom - top) * ya.fraction(v); };
  std::string s;
  char buf[640];
  auto add = [&](const char* fmt, auto... args) {
    std::snprintf(buf, sizeof buf, fmt, args...);
    s += buf;
  };
  add("<g class='chart'>\n<text x='%.1f' y='%.1f' font-size='%g' font-weight='bold'>%s</text>\n",
      x0 + 12, y0 + 22, title_size, xml_escape(c.title).c_str());
  // Grid and ticks; a y tick closer than 18 pixels to the one below it is left out (log axes).
  double last_tick_y = INFINITY;
  for (const double v : ya.ticks) {
    if (last_tick_y - Y(v) < 18) continue;
    last_tick_y = Y(v);
    add("<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='#e4e4e4'/>\n", left, right, Y(v),
        Y(v));
    add("<text x='%.1f' y='%.1f' font-size='%g' text-anchor='end'>%s</text>\n", left - 6, Y(v) + 4,
        tick_size, tick_label(v).c_str());
  }
  for (const double v : xa.ticks) {
    add("<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='#e4e4e4'/>\n", X(v), X(v), top,
        bottom);
    add("<text x='%.1f' y='%.1f' font-size='%g' text-anchor='middle'>%s</text>\n", X(v),
        bottom + 19, tick_size, tick_label(v).c_str());
  }
  add("<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='none' stroke='#888'/>\n", left, top,
      right - left, bottom - top);
  add("<text x='%.1f' y='%.1f' font-size='%g' text-anchor='middle'>%s</text>\n", (left + right) / 2,
      bottom + 38, label_size, xml_escape(c.x_label).c_str());
  const std::string y_label = c.y_label + (ya.log ? " (log scale)" : "");
  add("<text x='%.1f' y='%.1f' font-size='%g' transform='rotate(-90 %.1f %.1f)' "
      "text-anchor='middle'>%s</text>\n",
      x0 + 20, (top + bottom) / 2, label_size, x0 + 20, (top + bottom) / 2,
      xml_escape(y_label).c_str());
  // Reference lines, then the series over them; the plot area clips both.
  for (const auto& r : c.references)
    add("<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='%s' stroke-width='1.5' "
        "stroke-dasharray='6,4'/>\n",
        left, right, Y(r.value), Y(r.value), r.color.c_str());
  for (const auto& ser : c.series) {
    std::string pts;
    for (std::size_t i = 0; i < ser.x.size(); ++i) {
      std::snprintf(buf, sizeof buf, "%.1f,%.1f ", X(ser.x[i]), Y(ser.y[i]));
      pts += buf;
    }
    add("<polyline fill='none' stroke='%s' stroke-width='%g' stroke-opacity='%g' "
        "stroke-linejoin='round' points='",
        ser.color.c_str(), ser.width, ser.opacity);
    s += pts + "'/>\n";
    if (ser.markers)
      for (std::size_t i = 0; i < ser.x.size(); ++i)
        add("<circle cx='%.1f' cy='%.1f' r='3.5' fill='%s'/>\n", X(ser.x[i]), Y(ser.y[i]),
            ser.color.c_str());
  }
  // The legend: one entry per row below the x axis's label.
  double ly = bottom + 62;
  for (const auto& ser : c.series) {
    add("<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='%s' stroke-width='%g' "
        "stroke-opacity='%g'/>\n<text x='%.1f' y='%.1f' font-size='%g'>%s</text>\n",
        left, left + 24, ly - 4, ly - 4, ser.color.c_str(), ser.width, ser.opacity, left + 32, ly,
        legend_size, xml_escape(ser.label).c_str());
    ly += row;
  }
  for (const auto& r : c.references) {
    char value[32];
    std::snprintf(value, sizeof value, " (%.2f)", r.value);
    add("<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='%s' stroke-width='1.5' "
        "stroke-dasharray='6,4'/>\n<text x='%.1f' y='%.1f' font-size='%g' fill='%s'>%s</text>\n",
        left, left + 24, ly - 4, ly - 4, r.color.c_str(), left + 32, ly, legend_size,
        r.color.c_str(), xml_escape(r.label + value).c_str());
    ly += row;
  }
  height = ly - row + 10 - y0;
  // The chart's area, which every text of the chart stays inside (what the browser test checks).
  add("<rect class='chart-area' x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='none'/>\n</g>\n",
      x0, y0, width, height);
  return s;
}

/// The widest text of the chart's legend and title, as text_width_bound estimates it, plus the
/// margins: the width the chart needs.
inline double chart_min_width(const Chart& c) {
  double w = text_width_bound(c.title, 15) + 24;
  for (const auto& s : c.series)
    w = std::max(w, 72 + 32 + text_width_bound(s.label, 12) + 24);
  for (const auto& r : c.references)
    w = std::max(w, 72 + 32 + text_width_bound(r.label + " (00.00)", 12) + 24);
  return w;
}

/// The charts side by side as one SVG document (its text; the report inlines it).
inline std::string charts_svg(const std::vector<Chart>& charts) {
  double width = 0, height = 0;
  std::string body;
  for (const auto& c : charts) {
    const double w = std::max(520.0, chart_min_width(c));
    double h = 0;
    body += svg_chart(c, width, 0, w, h);
    width += w;
    height = std::max(height, h);
  }
  char head[256];
  std::snprintf(head, sizeof head,
                "<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='%.0f' "
                "viewBox='0 0 %.0f %.0f' font-family='sans-serif'>\n"
                "<rect width='100%%' height='100%%' fill='white'/>\n",
                std::ceil(width), std::ceil(height), std::ceil(width), std::ceil(height));
  return head + body + "</svg>\n";
}

/// Writes the charts side by side (atomically).
inline void write_charts_svg(const std::filesystem::path& path, const std::vector<Chart>& charts) {
  const std::string svg = charts_svg(charts);
  ctnn::io::write_atomically(path, [&](ctnn::io::ByteSink& out) { out.write(svg); });
}

/// Exponential smoothing with bias correction (TensorBoard's): the i-th output is the mean of
/// y[0..i] weighted by weight^(i-k), so the first points are not pulled towards 0.
inline std::vector<double> smoothed(const std::vector<double>& y, double weight) {
  std::vector<double> out;
  out.reserve(y.size());
  double num = 0, den = 0;
  for (const double v : y) {
    num = num * weight + v;
    den = den * weight + 1;
    out.push_back(num / den);
  }
  return out;
}

}  // namespace n2n
