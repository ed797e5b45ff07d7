using System.Text.Json.Serialization;

namespace P2PSim.LiveView;

// What the page receives, as JSON: a snapshot of the whole view (on connecting, and from /api/snapshot), then batches
// of changes. Node ids are endpoints ("127.0.0.1:6000"); times are Unix milliseconds.

/// <summary>A node: role ("seed" or "peer"), state ("up", "crashed", "left"), counters, and how many neighbours declared it dead.</summary>
public sealed record NodeView(string Id, string Role, int Port, string State, int Originated, long Received, long Duplicates, int DeadReports);

/// <summary>
/// An overlay link between two peers (<see cref="A"/> sorts before <see cref="B"/>): "up", "lost" (broken, being retried)
/// or "gone". <see cref="Tree"/>, with tree or spanning routing and while the link is up: "eager" when a peer at either
/// end pushes messages over it (a broadcast tree link), "lazy" when both ends only announce message ids over it; null
/// with flood routing, on a link that is not up, or not known yet.
/// </summary>
public sealed record LinkView(string A, string B, string State, string? Tree = null);

/// <summary>The peers a seed lists right now.</summary>
public sealed record SeedListView(string Seed, IReadOnlyList<string> Peers);

/// <summary>A first receipt: <see cref="Node"/> got the message from <see cref="From"/> after <see cref="Hop"/> hops; How: "push", "graft" or "catch-up".</summary>
public sealed record ReceiptView(string Node, string From, int Hop, long At, string How);

/// <summary>A gossip message: its short id, text, origin, when it was created (0 until known) and its first receipts so far.</summary>
public sealed record MessageView(string Id, string Text, string Origin, long At, IReadOnlyList<ReceiptView> Receipts);

/// <summary>A line of the crash story: kind "crash", "left", "lost", "dead", "reported", "removed", "refuted", "expired".</summary>
public sealed record ReportView(long At, string Kind, string Node, string Subject, string Text);

/// <summary>Delivery so far, as the summary counts it: receipts expected by peers present since a message's origination, and delivered.</summary>
public sealed record DeliveryView(int Messages, long Expected, long Delivered, double Ratio);

/// <summary>Everything the page shows. <see cref="Seq"/>: the last batch folded in; <see cref="Dropped"/>: view updates dropped so far.</summary>
public sealed record LiveViewSnapshot(
    long Seq,
    long Dropped,
    string Routing,
    DeliveryView Delivery,
    IReadOnlyList<NodeView> Nodes,
    IReadOnlyList<LinkView> Links,
    IReadOnlyList<SeedListView> SeedLists,
    IReadOnlyList<MessageView> Messages,
    IReadOnlyList<ReportView> Reports);

/// <summary>The changes of one tick, in order.</summary>
public sealed record LiveViewBatch(long Seq, long Dropped, DeliveryView Delivery, IReadOnlyList<LiveViewChange> Changes);

/// <summary>One change; its JSON names its kind in "t".</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "t")]
[JsonDerivedType(typeof(NodeChange), "node")]
[JsonDerivedType(typeof(LinkChange), "link")]
[JsonDerivedType(typeof(SeedListChange), "seedList")]
[JsonDerivedType(typeof(MessageChange), "message")]
[JsonDerivedType(typeof(ReceiptChange), "receipt")]
[JsonDerivedType(typeof(ReportChange), "report")]
public abstract record LiveViewChange;

public sealed record NodeChange(NodeView Node) : LiveViewChange;

public sealed record LinkChange(LinkView Link) : LiveViewChange;

public sealed record SeedListChange(SeedListView List) : LiveViewChange;

/// <summary>A message the view had not seen yet (its receipts follow as <see cref="ReceiptChange"/>s).</summary>
public sealed record MessageChange(string Id, string Text, string Origin, long At) : LiveViewChange;

public sealed record ReceiptChange(string Message, ReceiptView Receipt) : LiveViewChange;

public sealed record ReportChange(ReportView Report) : LiveViewChange;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(LiveViewSnapshot))]
[JsonSerializable(typeof(LiveViewBatch))]
internal sealed partial class LiveViewJsonContext : JsonSerializerContext;
