namespace ParallelKit.Internal;

/// <summary>Spin, then yield the core: never sleeps, so a poll stays responsive.</summary>
internal struct SpinWaitLite
{
    private int _count;

    public void SpinOnce()
    {
        if (++_count < 20)
        {
            System.Threading.Thread.SpinWait(8 << System.Math.Min(_count, 6));
        }
        else
        {
            System.Threading.Thread.Yield();
        }
    }
}
