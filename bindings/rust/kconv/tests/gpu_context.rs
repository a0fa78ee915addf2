// SPDX-License-Identifier: Apache-2.0
//! Contexts and plans. Without a CUDA driver or device, making a context is an `Err` (never a panic) and
//! the rest is skipped with a printed reason; with one, a plan is made and described. Executing needs
//! device memory, which this crate does not allocate: the C++ GPU tests cover the kernels.

use kconv::{Context, ConvDesc, Plan, Status};

#[test]
fn context_is_an_error_without_a_gpu_or_makes_plans_with_one() {
    let context = match Context::new() {
        Ok(context) => context,
        Err(error) => {
            assert!(
                error.status == Status::Unavailable || error.status == Status::NotFound,
                "Context::new failed with {}",
                error
            );
            assert!(!error.message.is_empty());
            println!("skip: no usable GPU ({}); GPU plan checks not run", error);
            return;
        }
    };
    let desc = ConvDesc {
        n: 1,
        c: 3,
        h: 224,
        w: 224,
        k: 64,
        r: 7,
        s: 7,
        stride_h: 2,
        stride_w: 2,
        pad_h: 3,
        pad_w: 3,
        ..Default::default()
    };
    let plan = Plan::new(&context, &desc).expect("a plan for the ResNet stem");
    let description = plan.describe();
    println!("plan: {}", description);
    assert!(!description.is_empty());

    let error = Plan::with_config(&context, &desc, "no_such_family/no_such_config")
        .err()
        .expect("a plan for a made-up config");
    assert!(
        error.status == Status::NotFound || error.status == Status::InvalidArgument,
        "{}",
        error
    );
    let bad = ConvDesc { stride_w: 0, ..desc };
    let error = Plan::new(&context, &bad).err().expect("a plan for stride_w = 0");
    assert_eq!(error.status, Status::InvalidArgument);
    assert!(error.message.contains("stride_w"), "{}", error);
}
