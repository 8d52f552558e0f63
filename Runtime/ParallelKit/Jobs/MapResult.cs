namespace ParallelKit;

/// <summary>
/// One item's result from <see cref="JobServer.MapUnorderedAsync{TItem, TResult}(System.Collections.Generic.IEnumerable{TItem}, System.Func{TItem, JobCall{TResult}}, System.Threading.CancellationToken)"/>,
/// which yields results as they complete: the item's position in the input, and its job's result.
/// </summary>
/// <typeparam name="TResult">The jobs' result type.</typeparam>
/// <param name="Index">The item's position in the input sequence, from 0.</param>
/// <param name="Result">The item's job's result.</param>
public readonly record struct MapResult<TResult>(long Index, TResult Result);
