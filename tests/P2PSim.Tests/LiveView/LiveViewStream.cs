using System.Text.Json;

namespace P2PSim.Tests.LiveView;

/// <summary>The live view's Server-Sent Events, read as a page reads them: one (event name, JSON) pair at a time.</summary>
internal sealed class LiveViewStream : IDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private LiveViewStream(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public static async Task<LiveViewStream> OpenAsync(HttpClient http, Uri page, CancellationToken cancellationToken)
    {
        var response = await http.GetAsync(new Uri(page, "api/events"), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"));
        return new LiveViewStream(response, new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken)));
    }

    /// <summary>The next event; fails the test when none comes before <paramref name="cancellationToken"/>.</summary>
    public async Task<(string Name, JsonElement Data)> NextAsync(CancellationToken cancellationToken)
    {
        string? name = null;
        string? data = null;
        while (true)
        {
            var line = await _reader.ReadLineAsync(cancellationToken) ?? throw new AssertionException("the event stream ended");
            if (line.Length == 0 && name is not null && data is not null)
            {
                using var json = JsonDocument.Parse(data);
                return (name, json.RootElement.Clone());
            }
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line["data: ".Length..];
            }
        }
    }

    /// <summary>
    /// Reads events until <paramref name="seen"/> holds for one of the changes of a batch (or an element of a snapshot's
    /// lists, through <paramref name="inSnapshot"/>), within <paramref name="within"/>; says what it was waiting for when not.
    /// </summary>
    public async Task<JsonElement> WaitForChangeAsync(string what, Func<JsonElement, bool> seen, TimeSpan within, CancellationToken cancellationToken,
        Func<JsonElement, IEnumerable<JsonElement>>? inSnapshot = null)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(within);
        try
        {
            while (true)
            {
                var (name, data) = await NextAsync(deadline.Token);
                var candidates = name == "batch" ? data.GetProperty("changes").EnumerateArray() : inSnapshot?.Invoke(data) ?? [];
                foreach (var change in candidates)
                {
                    if (seen(change))
                    {
                        return change;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AssertionException($"the live view's event stream did not show {what} within {within.TotalSeconds:0.#} s");
        }
    }

    public void Dispose()
    {
        _reader.Dispose();
        _response.Dispose();
    }
}
