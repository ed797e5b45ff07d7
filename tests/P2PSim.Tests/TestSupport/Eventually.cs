namespace P2PSim.Tests.TestSupport;

/// <summary>Waits for a condition with a deadline, never a fixed sleep; on time-out says what was still missing.</summary>
public static class Eventually
{
    public static async Task HoldsAsync(Func<Task<string?>> missing, TimeSpan within, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + within;
        string? last = null;
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            last = await missing().ConfigureAwait(false);
            if (last is null)
            {
                return;
            }
            await Task.Delay(25, cancellationToken).ConfigureAwait(false);
        }
        last = await missing().ConfigureAwait(false);
        if (last is not null)
        {
            Assert.Fail($"Not true within {within.TotalSeconds:0.#} s: {last}");
        }
    }

    public static Task HoldsAsync(Func<string?> missing, TimeSpan within, CancellationToken cancellationToken) =>
        HoldsAsync(() => Task.FromResult(missing()), within, cancellationToken);
}
