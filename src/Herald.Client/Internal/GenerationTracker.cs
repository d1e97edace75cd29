using Herald.Protocol;

namespace Herald.Client.Internal;

/// <summary>
/// A2A 1.1 gap detection on one stream (draft 3.2.7): generations of a task's updates are consecutive, so an update more
/// than one past the last one seen means updates were missed; the client then asks for the task instead. A server that
/// sends no generation, or 0, or the same one twice in a row, does not implement it: the tracker stops judging.
/// </summary>
internal sealed class GenerationTracker
{
    private long _last;          // 0 until a generation was seen
    private long _reconciledAt;  // the generation of a task fetched after a gap: updates at or below it are in it
    private bool _off;

    public long Last => _last;

    public GenerationVerdict Observe(StreamResponse response)
    {
        if (_off || response.Message is not null)
        {
            return GenerationVerdict.Deliver;
        }

        var generation = response.Task?.Generation ?? response.StatusUpdate?.Generation ?? response.ArtifactUpdate?.Generation;
        if (generation is not { } g)
        {
            return GenerationVerdict.Deliver;
        }

        if (g <= 0)
        {
            _off = true;
            return GenerationVerdict.Deliver;
        }

        if (response.Task is not null || _last == 0)
        {
            _last = g; // a snapshot (or the first update of a resumed stream) sets the base
            return GenerationVerdict.Deliver;
        }

        if (g <= _reconciledAt)
        {
            return GenerationVerdict.Stale;
        }

        if (g == _last)
        {
            _off = true; // two updates with one generation: the server does not implement it
            return GenerationVerdict.Deliver;
        }

        if (g > _last + 1)
        {
            return GenerationVerdict.Gap;
        }

        _last = g;
        return GenerationVerdict.Deliver;
    }

    /// <summary>The task fetched after a gap: it holds everything up to <paramref name="generation"/>.</summary>
    public void Reconciled(long generation)
    {
        _last = Math.Max(_last, generation);
        _reconciledAt = generation;
    }
}

internal enum GenerationVerdict
{
    Deliver,
    Gap,
    Stale,
}
