package io.inmesh.bench.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StackedBarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;

/** The report's PNG charts (JFreeChart, headless): latency percentiles per mode, CPU per request per mode. */
public final class ChartWriter {
  private static final Color[] MODE_COLORS = {
    new Color(0x7f7f7f), new Color(0x1f77b4), new Color(0x2ca02c), new Color(0x98df8a), new Color(0x17becf), new Color(0xff7f0e), new Color(0xd62728), new Color(0xaec7e8)
  };
  private static final Color[] ROLE_COLORS = {new Color(0x1f77b4), new Color(0x2ca02c), new Color(0xff7f0e), new Color(0xd62728)};

  private ChartWriter() {}

  /** Bars per percentile (light-load p50/p99, fixed-rate p50/p99/p99.9), one colour per mode; log scale, µs. */
  public static void latency(Path file, String title, Map<String, ModeFigures> modes) throws IOException {
    DefaultCategoryDataset d = new DefaultCategoryDataset();
    for (ModeFigures f : modes.values()) {
      d.addValue(f.lightP50.median(), f.mode, "light p50");
      d.addValue(f.lightP99.median(), f.mode, "light p99");
      d.addValue(f.fixedP50.median(), f.mode, "fixed-rate p50");
      d.addValue(f.fixedP99.median(), f.mode, "fixed-rate p99");
      d.addValue(f.fixedP999.median(), f.mode, "fixed-rate p99.9");
    }
    JFreeChart chart = ChartFactory.createBarChart(title, null, "latency, µs (log scale; median of rounds)", d, PlotOrientation.VERTICAL, true, false, false);
    CategoryPlot plot = chart.getCategoryPlot();
    LogAxis axis = new LogAxis("latency, µs (log scale; median of rounds)");
    axis.setBase(10);
    axis.setSmallestValue(10);
    axis.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(1));
    axis.setNumberFormatOverride(new java.text.DecimalFormat("#,##0"));
    double smallest = Double.MAX_VALUE;
    for (int i = 0; i < d.getRowCount(); i++) {
      for (int j = 0; j < d.getColumnCount(); j++) {
        Number v = d.getValue(i, j);
        if (v != null && v.doubleValue() > 0 && !Double.isNaN(v.doubleValue())) {
          smallest = Math.min(smallest, v.doubleValue());
        }
      }
    }
    plot.setRangeAxis(axis);
    if (smallest < Double.MAX_VALUE) {
      axis.setAutoRange(true);
      axis.setSmallestValue(Math.max(1, smallest / 3));
    }
    axis.setUpperMargin(0.15);
    style(chart, plot);
    BarRenderer r = (BarRenderer) plot.getRenderer();
    r.setBarPainter(new StandardBarPainter());
    r.setItemMargin(0.03);
    r.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}", new java.text.DecimalFormat("0")));
    r.setDefaultItemLabelsVisible(true);
    r.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 9));
    for (int i = 0; i < d.getRowCount(); i++) {
      r.setSeriesPaint(i, MODE_COLORS[colorIndex(d.getRowKey(i).toString()) % MODE_COLORS.length]);
    }
    ChartUtils.saveChartAsPNG(file.toFile(), chart, 1300, 600);
  }

  /** Stacked bars: CPU µs per request at the fixed rate, split by process, per mode. */
  public static void cpu(Path file, String title, Map<String, ModeFigures> modes, List<String> roles) throws IOException {
    DefaultCategoryDataset d = new DefaultCategoryDataset();
    for (String role : roles) {
      for (ModeFigures f : modes.values()) {
        Spread s = f.cpuByRole.get(role);
        d.addValue(s == null ? 0.0 : s.median(), role, f.mode);
      }
    }
    JFreeChart chart = ChartFactory.createStackedBarChart(title, null, "CPU µs per request (median of rounds)", d, PlotOrientation.VERTICAL, true, false, false);
    CategoryPlot plot = chart.getCategoryPlot();
    style(chart, plot);
    StackedBarRenderer r = (StackedBarRenderer) plot.getRenderer();
    r.setBarPainter(new StandardBarPainter());
    r.setMaximumBarWidth(0.12);
    for (int i = 0; i < d.getRowCount(); i++) {
      r.setSeriesPaint(i, ROLE_COLORS[i % ROLE_COLORS.length]);
    }
    // totals above each bar
    r.setDefaultItemLabelsVisible(false);
    NumberAxis range = (NumberAxis) plot.getRangeAxis();
    range.setAutoRangeIncludesZero(true);
    for (ModeFigures f : modes.values()) {
      org.jfree.chart.annotations.CategoryTextAnnotation a =
          new org.jfree.chart.annotations.CategoryTextAnnotation(String.format("%.0f µs", f.cpu.median()), f.mode, f.cpu.median() * 1.04 + 2);
      a.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
      plot.addAnnotation(a);
    }
    range.setUpperMargin(0.12);
    ChartUtils.saveChartAsPNG(file.toFile(), chart, 1000, 520);
  }

  private static void style(JFreeChart chart, CategoryPlot plot) {
    chart.setBackgroundPaint(Color.WHITE);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(new Color(0xdddddd));
    plot.setRangeGridlineStroke(new BasicStroke(1f));
    plot.setOutlineVisible(false);
    CategoryAxis x = plot.getDomainAxis();
    x.setCategoryLabelPositions(CategoryLabelPositions.STANDARD);
    x.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
  }

  private static int colorIndex(String mode) {
    return switch (mode) {
      case "baseline" -> 0;
      case "otel" -> 1;
      case "inmesh" -> 2;
      case "inmesh-notrace" -> 3;
      case "inmesh-mtls" -> 4;
      case "sidecar" -> 5;
      case "sidecar-mtls" -> 6;
      case "otel-lean" -> 7;
      // a mode added later gets a colour of its own rather than the baseline's grey
      default -> 1 + Math.floorMod(mode.hashCode(), MODE_COLORS.length - 1);
    };
  }
}
