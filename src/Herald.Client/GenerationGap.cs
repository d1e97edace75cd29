namespace Herald.Client;

/// <summary>
/// Updates were missed on a stream (A2A 1.1: an update's generation was more than one past the last one delivered), so
/// the client delivered the task from GetTask in their place (see <see cref="StreamEvent.Gap"/>).
/// </summary>
/// <param name="LastSeen">The generation of the last item delivered before the gap.</param>
/// <param name="Received">The generation of the update that showed the gap (included in the fetched task).</param>
public readonly record struct GenerationGap(long LastSeen, long Received);
