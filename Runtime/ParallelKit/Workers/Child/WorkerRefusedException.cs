using System;

namespace ParallelKit.Workers;

/// <summary>The parent refused this worker's handshake; the message says why, for the user's stderr.</summary>
internal sealed class WorkerRefusedException(string message) : Exception(message);
