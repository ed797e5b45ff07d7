using System.Text.Json;

namespace P2PSim.Experiments.Reports;

/// <summary>Reads a JSON report that the <c>experiment</c> command wrote, or says in one sentence why it cannot.</summary>
public static class ReportFile
{
    /// <returns>The report, or null and <paramref name="Error"/>: what is wrong with the file, without its path.</returns>
    public static async Task<(ExperimentReport? Report, string? Error)> ReadAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        string json;
        try
        {
            json = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return (null, "no such file");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (null, $"cannot be read ({ex.Message})");
        }
        return Parse(json);
    }

    /// <summary>The report in <paramref name="json"/>, or why it is none.</summary>
    public static (ExperimentReport? Report, string? Error) Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        ExperimentReport? report;
        try
        {
            report = JsonSerializer.Deserialize(json, ExperimentJsonContext.Default.ExperimentReport);
        }
        catch (JsonException ex)
        {
            return (null, $"not an experiment report ({ex.Message})");
        }
        // A JSON object of another kind deserializes with the report's parts missing: refuse it here, not in a chart.
        if (report is null || report.NetworkKind is null || report.Workload is null || report.Overlay is null || report.Delivery is null
            || report.Traffic is null || report.Faults is null || report.Connectivity?.Samples is null)
        {
            return (null, "not an experiment report (JSON without the report's sections: networkKind, overlay, delivery, traffic, connectivity)");
        }
        return (report, null);
    }
}
