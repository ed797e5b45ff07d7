namespace P2PSim.Tests.TestSupport;

/// <summary>
/// Tests run by hand only ([Explicit]: long, or a known limit). They carry this category, which the suite's
/// <c>test.runsettings</c> filters out, so a plain <c>dotnet test</c> neither runs nor lists them. Run one with that file
/// switched off: <c>dotnet test -p:RunSettingsFilePath= --filter FullyQualifiedName~ScaleMeasurementTests</c>.
/// </summary>
public static class LongRuns
{
    public const string Category = "Long";
}
