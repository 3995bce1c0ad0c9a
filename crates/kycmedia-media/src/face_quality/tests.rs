use super::*;

fn passing() -> FaceQuality {
    FaceQuality {
        single_face_present: 100,
        head_size: 10,
        inter_eye_distance: 90,
        crop_left: 100,
        crop_right: 100,
        crop_top: 100,
        crop_bottom: 100,
        roll: 99,
        yaw: 98,
        pitch: 97,
        eyes_visible: 100,
        mouth_visible: 100,
        luminance_mean: 90,
        luminance_variance: 100,
        under_exposure: 100,
        over_exposure: 90,
        dynamic_range: 85,
        illumination_uniformity: 88,
        sharpness: 70,
        compression: 100,
        inter_eye_px: Some(80.0),
        pose: None,
        landmarks: None,
        light_balance: None,
    }
}

#[test]
fn a_face_that_passes_every_gate_costs_nothing() {
    let (factor, issues, failed) = judge(&passing());
    assert_eq!(factor, 1.0);
    assert!(issues.is_empty() && failed.is_empty());
}

#[test]
fn a_shadow_across_half_the_face_costs_more_the_deeper_it_is_though_no_gate_fails() {
    let [e, n, s, d] = [1.0, 0.8, 0.4, 0.2].map(|b| {
        judge(&FaceQuality {
            light_balance: Some(b),
            ..passing()
        })
    });
    assert_eq!((e.0, n.0), (1.0, 1.0), "natural light costs nothing");
    assert!(n.0 > s.0 && s.0 > d.0, "{} {} {}", n.0, s.0, d.0);
    assert!(s.1.is_empty() && s.2.is_empty(), "grading is no finding: {:?}", s.2);
}

#[test]
fn a_frame_edge_near_the_face_costs_a_little_and_only_a_cut_is_an_issue() {
    let near = FaceQuality {
        crop_top: 60,
        ..passing()
    };
    let cut = FaceQuality {
        crop_top: 30,
        ..passing()
    };
    let (near_factor, near_issues, near_failed) = judge(&near);
    let (cut_factor, cut_issues, _) = judge(&cut);
    assert!(
        1.0 > near_factor && near_factor > cut_factor,
        "{near_factor} {cut_factor}"
    );
    assert!(near_issues.is_empty() && near_failed.is_empty());
    assert_eq!(cut_issues, vec![Issue::FaceCutOff]);
}

#[test]
fn a_turned_head_costs_quality_in_proportion_and_names_the_issue() {
    let slightly = FaceQuality { yaw: 60, ..passing() };
    let strongly = FaceQuality { yaw: 0, ..passing() };
    let (a, issues, failed) = judge(&slightly);
    let (b, _, _) = judge(&strongly);
    assert!(a < 1.0 && b < a && (b - 0.5).abs() < 1e-6, "{a} {b}");
    assert_eq!(issues, [Issue::HeadTurned]);
    assert_eq!(failed, ["yaw"]);
}

#[test]
fn a_mouth_just_under_its_threshold_costs_half_its_gates_weight() {
    let just = judge(&FaceQuality {
        mouth_visible: 49,
        ..passing()
    });
    let fully = judge(&FaceQuality {
        mouth_visible: 0,
        ..passing()
    });
    assert!((just.0 - 0.75).abs() < 1e-6, "{just:?}");
    assert!((fully.0 - 0.5).abs() < 1e-6, "{fully:?}");
    assert_eq!(just.1, [Issue::MouthHidden]);
    // Just above it, nothing: only a failed occlusion gate has the floor.
    assert_eq!(
        judge(&FaceQuality {
            mouth_visible: 51,
            ..passing()
        })
        .0,
        1.0
    );
}

#[test]
fn unassessed_components_neither_cost_nor_count() {
    let q = FaceQuality {
        crop_left: UNASSESSED,
        yaw: UNASSESSED,
        eyes_visible: UNASSESSED,
        illumination_uniformity: UNASSESSED,
        ..passing()
    };
    assert_eq!(judge(&q).0, 1.0);
}

#[test]
fn two_failing_margins_are_one_issue_and_a_dark_face_none() {
    let q = FaceQuality {
        crop_left: 10,
        crop_top: 20,
        luminance_mean: 10,
        ..passing()
    };
    let (factor, issues, failed) = judge(&q);
    assert_eq!(issues, [Issue::FaceCutOff]);
    assert_eq!(failed, ["crop_left", "crop_top", "luminance_mean"]);
    assert!(factor < 0.5, "{factor}");
}

#[test]
fn the_mappings_match_ofiqs_published_anchor_points() {
    // Head pose: 100 cos²; 45° is 50.
    assert_eq!(score(upright(0.0)), 100);
    assert_eq!(score(upright(45.0)), 50);
    // Inter-eye distance: sigmoid centred on 70 px.
    assert_eq!(score(100.0 * sigmoid(70.0, 70.0, 20.0)), 50);
    // Unicity: a second face as large as the first is 0.
    let face = |w: f32| Face {
        x: 0.0,
        y: 0.0,
        width: w,
        height: w,
        score: 10.0,
    };
    assert_eq!(single_face(&[face(0.3)]), 100);
    assert_eq!(single_face(&[face(0.3), face(0.3)]), 0);
    assert_eq!(single_face(&[face(0.4), face(0.2)]), 50);
    assert_eq!(score(f64::NAN), UNASSESSED);
    assert_eq!(score(250.0), 100);
}

#[test]
fn components_serialize_as_integers_and_unassessed_as_minus_one() {
    let q = FaceQuality {
        yaw: UNASSESSED,
        ..passing()
    };
    let json = serde_json::to_value(q).unwrap();
    assert_eq!(json["yaw"], serde_json::json!(-1));
    assert_eq!(json["crop_left"], serde_json::json!(100));
    assert!(json.get("landmarks").is_none() && json.get("pose").is_none());
}
