//! Unit tests of the shared state: bounded recording and script consumption.

use super::*;

fn request(i: usize) -> RecordedRequest {
    RecordedRequest {
        method: "POST".into(),
        path: format!("/{i}"),
        query: None,
        headers: Default::default(),
        body: Value::Null,
    }
}

#[test]
fn recording_keeps_the_last_ten_thousand() {
    let shared = Shared::new(true, false, Duration::ZERO);
    for i in 0..MAX_RECORDED + 5 {
        shared.record(request(i));
    }
    let requests = shared.requests();
    assert_eq!(requests.len(), MAX_RECORDED);
    assert_eq!(requests[0].path, "/5");
    assert_eq!(requests[MAX_RECORDED - 1].path, format!("/{}", MAX_RECORDED + 4));
}

#[test]
fn script_is_consumed_in_order() {
    let shared = Shared::new(false, false, Duration::ZERO);
    assert_eq!(shared.next_fault(), None);
    shared.set_script(vec![Fault::Hang, Fault::status(500)]);
    assert_eq!(shared.next_fault(), Some(Fault::Hang));
    assert_eq!(shared.next_fault(), Some(Fault::status(500)));
    assert_eq!(shared.next_fault(), None);
    shared.set_script(vec![Fault::Hang]);
    shared.set_script(Vec::new());
    assert_eq!(shared.next_fault(), None);
}
