#pragma once
// The trainer's report as one self-contained HTML page (report.html): the run's configuration,
// the results table the trainer prints, the epochs, the curves (inline SVG) and the validation
// samples with captions. Everything is inside the file (images as data: URIs, no script, no
// font or style from elsewhere), so it opens offline and can be mailed or archived alone.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "ctnn/io/atomic_write.hpp"
#include "ctnn/io/image.hpp"
#include "plot.hpp"

namespace n2n {

/// A line of the results table: PSNR pooled and mean per image (mean <= 0: not known).
struct ResultRow {
  std::string label, source;
  double pooled = 0, mean = 0;
};

/// A row of the sample grid: three 32 x 32 RGB images (PNG bytes) and the PSNRs of the noisy
/// and the denoised one against the clean one.
struct SampleRow {
  std::string noisy_png, denoised_png, clean_png;
  double noisy_psnr = 0, denoised_psnr = 0;
};

struct Report {
  std::string title;
  std::vector<std::pair<std::string, std::string>> configuration;  // name, value
  std::string results_caption;
  std::vector<ResultRow> results;
  std::vector<std::string> results_notes;
  std::vector<std::string> epoch_columns;
  std::vector<std::vector<std::string>> epochs;  // one row per epoch
  std::string curves_svg;                        // an <svg> element
  std::vector<SampleRow> samples;
  std::string footer;
};

inline std::string base64(const std::string& bytes) {
  static constexpr char digits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 3; ++k)
      v = (v << 8) | (k < n ? std::uint8_t(bytes[i + k]) : 0u);
    for (std::size_t k = 0; k < 4; ++k)
      out += k <= n ? digits[(v >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

/// A 32 x 32 RGB image (planar, 3 x 32 x 32 bytes) as PNG bytes.
inline std::string tile_png(const std::uint8_t* planar) {
  ctnn::io::Image img(32, 32, 3, 8);
  for (std::size_t y = 0; y < 32; ++y)
    for (std::size_t x = 0; x < 32; ++x)
      for (std::size_t c = 0; c < 3; ++c)
        img.data()[(y * 32 + x) * 3 + c] = planar[c * 1024 + y * 32 + x];
  return ctnn::io::encode_png(img, "sample tile");
}

inline std::string report_html(const Report& r) {
  std::string h;
  auto esc = xml_escape;
  char buf[256];
  h += "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n<title>" + esc(r.title) +
       "</title>\n<style>\n" +
       "body { font-family: sans-serif; margin: 24px; color: #222; }\n"
       "h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; }\n"
       "table { border-collapse: collapse; }\n"
       "td, th { padding: 3px 10px; text-align: left; vertical-align: middle; }\n"
       "table.grid td, table.grid th { border-bottom: 1px solid #ddd; }\n"
       "td.num { text-align: right; font-variant-numeric: tabular-nums; }\n"
       "tr.quoted { color: #666; font-style: italic; }\n"
       "table.config { max-width: 1100px; }\n"
       "table.config td { overflow-wrap: anywhere; }\n"
       "table.config td:first-child { font-weight: bold; white-space: nowrap; }\n"
       "img.tile { width: 128px; height: 128px; image-rendering: pixelated; display: block; }\n"
       "p.note { color: #555; max-width: 1000px; }\n"
       "</style>\n</head>\n<body>\n<h1>" +
       esc(r.title) + "</h1>\n";

  h += "<h2>Configuration</h2>\n<table class='config'>\n";
  for (const auto& [name, value] : r.configuration)
    h += "<tr><td>" + esc(name) + "</td><td>" + esc(value) + "</td></tr>\n";
  h += "</table>\n";

  h += "<h2>Results</h2>\n<p>" + esc(r.results_caption) + "</p>\n<table class='grid'>\n" +
       "<tr><th></th><th>source</th><th>pooled</th><th>mean per image</th></tr>\n";
  for (const auto& row : r.results) {
    h += std::string("<tr") + (row.source == "quoted" ? " class='quoted'" : "") + "><td>" +
         esc(row.label) + "</td><td>" + esc(row.source) + "</td>";
    std::snprintf(buf, sizeof buf, "<td class='num'>%.2f dB</td>", row.pooled);
    h += buf;
    if (row.mean > 0)
      std::snprintf(buf, sizeof buf, "<td class='num'>%.2f dB</td></tr>\n", row.mean);
    else
      std::snprintf(buf, sizeof buf, "<td></td></tr>\n");
    h += buf;
  }
  h += "</table>\n";
  for (const auto& note : r.results_notes)
    h += "<p class='note'>" + esc(note) + "</p>\n";

  if (!r.epochs.empty()) {
    h += "<h2>Epochs</h2>\n<table class='grid'>\n<tr>";
    for (const auto& c : r.epoch_columns)
      h += "<th>" + esc(c) + "</th>";
    h += "</tr>\n";
    for (const auto& row : r.epochs) {
      h += "<tr>";
      for (const auto& cell : row)
        h += "<td class='num'>" + esc(cell) + "</td>";
      h += "</tr>\n";
    }
    h += "</table>\n";
  }

  h += "<h2>Training curves</h2>\n" + r.curves_svg;

  if (!r.samples.empty()) {
    h += "<h2>Validation samples</h2>\n<p>The first validation images: the noisy input, the "
         "model's output and the clean image (each 32 x 32, shown 4x), and each one's PSNR "
         "against the clean image.</p>\n<table class='grid samples'>\n"
         "<tr><th>#</th><th>noisy</th><th>denoised</th><th>clean</th><th>PSNR noisy &#8594; "
         "denoised</th></tr>\n";
    for (std::size_t i = 0; i < r.samples.size(); ++i) {
      const SampleRow& s = r.samples[i];
      auto img = [&](const std::string& png, const char* what) {
        return "<td><img class='tile' alt='" + std::string(what) + " " + std::to_string(i + 1) +
               "' src='data:image/png;base64," + base64(png) + "'></td>";
      };
      h += "<tr><td class='num'>" + std::to_string(i + 1) + "</td>" + img(s.noisy_png, "noisy") +
           img(s.denoised_png, "denoised") + img(s.clean_png, "clean");
      std::snprintf(buf, sizeof buf, "<td class='num'>%.2f dB &#8594; %.2f dB</td></tr>\n",
                    s.noisy_psnr, s.denoised_psnr);
      h += buf;
    }
    h += "</table>\n";
  }
  h += "<p class='note'>" + esc(r.footer) + "</p>\n</body>\n</html>\n";
  return h;
}

/// Writes the report (atomically).
inline void write_report_html(const std::filesystem::path& path, const Report& r) {
  const std::string html = report_html(r);
  ctnn::io::write_atomically(path, [&](ctnn::io::ByteSink& out) { out.write(html); });
}

}  // namespace n2n
