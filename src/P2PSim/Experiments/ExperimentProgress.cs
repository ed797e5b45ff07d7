namespace P2PSim.Experiments;

/// <summary>A snapshot handed to the progress callback of a running experiment.</summary>
/// <param name="Phase">"join", "workload", "drain" or "recovery".</param>
/// <param name="PeersJoined">Peers whose join finished.</param>
/// <param name="Peers">Peers in the run.</param>
/// <param name="MessagesPublished">Messages originated so far.</param>
/// <param name="FirstReceipts">First receipts so far.</param>
/// <param name="VirtualElapsed">Time covered so far (virtual in a simulation).</param>
/// <param name="WallElapsed">Real time spent so far.</param>
/// <param name="EventsProcessed">Simulation events handled so far.</param>
public sealed record ExperimentProgress(
    string Phase,
    int PeersJoined,
    int Peers,
    int MessagesPublished,
    long FirstReceipts,
    TimeSpan VirtualElapsed,
    TimeSpan WallElapsed,
    long EventsProcessed);
