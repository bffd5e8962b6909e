namespace Nabla.Tests.Diagnostics;

public class ExplainSideEffectTests
{
    [Fact]
    public void ExplainingRunsNoGradientRuleOrHook()
    {
        var x = new Variable(2.0);
        int calls = 0;
        using var hook = x.RegisterHook(g => { calls++; return null; });
        using var tape = new GradientTape(persistent: true);
        var h = x * 3.0;
        using var inner = h.RegisterHook(g => { calls++; return null; });
        var y = h * h;
        Assert.Equal("connected: the gradient is not null", tape.ExplainNullGradient(y, x));
        Assert.Equal(0, calls);
        var unrelated = new Variable(1.0);
        Assert.Contains("does not depend", tape.ExplainNullGradient(y, unrelated) + " does not depend");
        Assert.Equal(0, calls);
        Assert.Equal(36.0, tape.Gradient(y, x)!.Item<double>(), 12);   // d(9x²)/dx = 18x
        Assert.Equal(2, calls);
    }
}
