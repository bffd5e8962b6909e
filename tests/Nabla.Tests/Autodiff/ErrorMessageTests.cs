namespace Nabla.Tests.Autodiff;

/// <summary>Errors for bad shapes name the op, both shapes, and the caller's file.</summary>
public class ErrorMessageTests
{
    [Fact]
    public void AddShapeMismatch()
    {
        var a = Tensor.Zeros(2, 3);
        var b = Tensor.Zeros(4);
        var ex = Assert.Throws<ArgumentException>(() => a + b);
        Assert.Contains("add", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4]", ex.Message);
        Assert.Contains("ErrorMessageTests.cs", ex.Message);
    }

    [Fact]
    public void MatMulShapeMismatch()
    {
        var a = Tensor.Zeros(2, 3);
        var b = Tensor.Zeros(4, 5);
        var ex = Assert.Throws<ArgumentException>(() => a.MatMul(b));
        Assert.Contains("MatMul", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4, 5]", ex.Message);
        Assert.Contains("ErrorMessageTests.cs", ex.Message);
    }
}
