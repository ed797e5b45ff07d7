using System.Text.Json.Serialization;

namespace P2PSim.Experiments;

/// <summary>
/// Source-generated JSON for reports (no reflection: trim and AOT friendly). Properties come
/// out in declaration order, camelCase, indented.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ExperimentReport))]
[JsonSerializable(typeof(ExperimentReport[]))]
internal sealed partial class ExperimentJsonContext : JsonSerializerContext;
