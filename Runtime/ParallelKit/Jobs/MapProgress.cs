namespace ParallelKit;

/// <summary>
/// How far a <see cref="JobServer"/> map has come: reported as results arrive (each item on threads; from worker
/// processes each part of a chunk, an item or what finished within about a millisecond), from the first result on,
/// one report at a time with counts that only grow.
/// </summary>
/// <param name="Completed">Items whose results are in.</param>
/// <param name="Total">All items of the map.</param>
public readonly record struct MapProgress(int Completed, int Total)
{
    /// <summary>The fraction done, from 0 to 1.</summary>
    public double Fraction => Total == 0 ? 1.0 : (double)Completed / Total;
}
