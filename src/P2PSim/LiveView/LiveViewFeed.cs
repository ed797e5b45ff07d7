using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace P2PSim.LiveView;

/// <summary>
/// The view state and the pages watching it. A page that subscribes gets the whole state as its first event and every
/// batch after it, with no gap and nothing twice (both happen under one lock). Each page has a bounded queue of
/// <see cref="QueueCapacity"/> events: a page that falls that far behind loses its queued batches' successors and gets
/// a fresh snapshot instead once it has room, so a slow browser costs memory of its own queue only.
/// </summary>
public sealed class LiveViewFeed(LiveViewState state)
{
    public const int QueueCapacity = 64;

    private readonly object _gate = new();
    private readonly List<Subscriber> _subscribers = [];

    /// <summary>One watching page: Server-Sent Events, each a complete <c>event:</c>/<c>data:</c> block.</summary>
    public sealed class Subscriber
    {
        internal Channel<string> Channel { get; } = System.Threading.Channels.Channel.CreateBounded<string>(new BoundedChannelOptions(QueueCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite says false when full; the page then resyncs
        });

        internal bool NeedsSnapshot { get; set; }

        public ChannelReader<string> Events => Channel.Reader;
    }

    public int Subscribers
    {
        get
        {
            lock (_gate)
            {
                return _subscribers.Count;
            }
        }
    }

    /// <summary>Changes the state and sends what changed to every page (nothing when nothing changed).</summary>
    public void Update(Action<LiveViewState> change)
    {
        lock (_gate)
        {
            change(state);
            if (state.TakeChanges() is not { } batch)
            {
                return;
            }
            string? batchEvent = null;
            string? snapshotEvent = null;
            foreach (var subscriber in _subscribers)
            {
                if (subscriber.NeedsSnapshot)
                {
                    snapshotEvent ??= SnapshotEvent();
                    subscriber.NeedsSnapshot = !subscriber.Channel.Writer.TryWrite(snapshotEvent);
                }
                else
                {
                    batchEvent ??= Event("batch", JsonSerializer.Serialize(batch, LiveViewJsonContext.Default.LiveViewBatch));
                    subscriber.NeedsSnapshot = !subscriber.Channel.Writer.TryWrite(batchEvent);
                }
            }
        }
    }

    public LiveViewSnapshot Snapshot()
    {
        lock (_gate)
        {
            return state.Snapshot();
        }
    }

    public string SnapshotJson()
    {
        lock (_gate)
        {
            return JsonSerializer.Serialize(state.Snapshot(), LiveViewJsonContext.Default.LiveViewSnapshot);
        }
    }

    /// <summary>A new page: its queue starts with the whole state.</summary>
    public Subscriber Subscribe()
    {
        var subscriber = new Subscriber();
        lock (_gate)
        {
            subscriber.Channel.Writer.TryWrite(SnapshotEvent());
            _subscribers.Add(subscriber);
        }
        return subscriber;
    }

    public void Unsubscribe(Subscriber subscriber)
    {
        lock (_gate)
        {
            _subscribers.Remove(subscriber);
        }
        subscriber.Channel.Writer.TryComplete();
    }

    /// <summary>Ends every page's stream (shutdown).</summary>
    public void CompleteAll()
    {
        lock (_gate)
        {
            foreach (var subscriber in _subscribers)
            {
                subscriber.Channel.Writer.TryComplete();
            }
        }
    }

    private string SnapshotEvent() => Event("snapshot", JsonSerializer.Serialize(state.Snapshot(), LiveViewJsonContext.Default.LiveViewSnapshot));

    private static string Event(string name, string json) => new StringBuilder(json.Length + 32)
        .Append("event: ").Append(name).Append('\n')
        .Append("data: ").Append(json).Append("\n\n")
        .ToString();
}
