using System.Text.Json;

namespace P2PSim.Tests.LiveView;

/// <summary>The live view's Server-Sent Events, read as a page reads them: one (event name, JSON) pair at a time.</summary>
internal sealed class LiveViewStream : IDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;
    private readonly List<JsonElement> _changes = []; // every change read so far, in order

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
    /// The first change of any batch so far (read before or now) for which <paramref name="seen"/> holds, reading more
    /// events for at most <paramref name="within"/>; says what it was waiting for when none comes. Earlier waits consume
    /// nothing, so the order of the waits need not be the order of the changes within a batch.
    /// </summary>
    public async Task<JsonElement> WaitForChangeAsync(string what, Func<JsonElement, bool> seen, TimeSpan within, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(within);
        try
        {
            var checkedUpTo = 0;
            while (true)
            {
                for (; checkedUpTo < _changes.Count; checkedUpTo++)
                {
                    if (seen(_changes[checkedUpTo]))
                    {
                        return _changes[checkedUpTo];
                    }
                }
                var (name, data) = await NextAsync(deadline.Token);
                if (name == "batch")
                {
                    _changes.AddRange(data.GetProperty("changes").EnumerateArray());
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
