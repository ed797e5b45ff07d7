namespace P2PSim.Experiments.Reports;

/// <summary>
/// One chart of an HTML report: its title and its picture as inline SVG, or, where the reports hold nothing to draw
/// (no peer crashed, a run written before the field existed), no picture and a note saying why. A note beside a
/// picture says what to know when reading it.
/// </summary>
public sealed record Chart(string Title, string? Svg, string? Note = null);

/// <summary>A report with the name it goes by in a legend and a table header (its file name, or "this run").</summary>
public sealed record LabelledReport(string Label, ExperimentReport Report);
