//! One realistic sample of every `Body` variant, for the codec's XSD, round-trip and fuzz-seed
//! tests. `index` is an exhaustive match: a new variant does not compile until it has a
//! sample here.
#![allow(dead_code)]

use cwmpd::proto::rpc::*;

/// Number of `Body` variants.
pub const VARIANTS: usize = 51;

const T: &str = "2026-11-25T05:00:00Z";

fn pv(name: &str, value: &str, t: ValueType) -> ParameterValueStruct {
    ParameterValueStruct { name: name.into(), value: value.into(), value_type: Some(t) }
}

pub fn inform() -> Body {
    Body::Inform(Inform {
        device_id: DeviceIdStruct {
            manufacturer: "cwmpd & co <test>".into(),
            oui: "00D09E".into(),
            product_class: "Gateway".into(),
            serial_number: "SN0001".into(),
        },
        event: vec![
            EventStruct { event_code: "0 BOOTSTRAP".into(), command_key: String::new() },
            EventStruct { event_code: "M Reboot".into(), command_key: "key-1".into() },
        ],
        max_envelopes: 1,
        current_time: T.into(),
        retry_count: 2,
        parameter_list: vec![
            pv("Device.RootDataModelVersion", "2.19", ValueType::String),
            pv("Device.DeviceInfo.UpTime", "42", ValueType::UnsignedInt),
            pv("Device.ManagementServer.PeriodicInformEnable", "true", ValueType::Boolean),
            pv("Device.X_00D09E_Blob", "aGVsbG8=", ValueType::Base64),
            pv("Device.X_00D09E_Time", "2026-11-25T05:00:00Z", ValueType::DateTime),
            pv("Device.X_00D09E_Big", "18446744073709551615", ValueType::UnsignedLong),
            pv("Device.X_00D09E_Neg", "-5", ValueType::Int),
            pv("Device.X_00D09E_Odd", "tab\there \"q\" 'a' \r\n end", ValueType::String),
        ],
    })
}

pub fn spv_fault() -> Body {
    Body::Fault(Fault {
        fault_code: 9003,
        fault_string: "Invalid arguments".into(),
        set_parameter_values_faults: vec![
            SetParameterValuesFault {
                parameter_name: "Device.DeviceInfo.UpTime".into(),
                fault_code: 9008,
                fault_string: "read-only".into(),
            },
            SetParameterValuesFault {
                parameter_name: "Device.ManagementServer.PeriodicInformInterval".into(),
                fault_code: 9007,
                fault_string: "out of range".into(),
            },
        ],
    })
}

fn download() -> Download {
    Download {
        command_key: "dl".into(),
        file_type: "1 Firmware Upgrade Image".into(),
        url: "http://files.example/fw.bin".into(),
        username: "u".into(),
        password: "p".into(),
        file_size: 1024,
        target_file_name: "fw.bin".into(),
        delay_seconds: 0,
        success_url: String::new(),
        failure_url: String::new(),
    }
}

fn result(autonomous: bool) -> OpResultStruct {
    OpResultStruct {
        uuid: "6ba7b810-9dad-11d1-80b4-00c04fd430c8".into(),
        deployment_unit_ref: "Device.SoftwareModules.DeploymentUnit.1".into(),
        version: "1.0".into(),
        current_state: "Installed".into(),
        resolved: true,
        execution_unit_ref_list: "Device.SoftwareModules.ExecutionUnit.1".into(),
        start_time: T.into(),
        complete_time: T.into(),
        fault: FaultStruct::default(),
        operation_performed: autonomous.then(|| "Install".into()),
    }
}

/// Every variant, named by its element.
pub fn all() -> Vec<(&'static str, Body)> {
    let fault = FaultStruct { fault_code: 9010, fault_string: "download failed".into() };
    let bodies = vec![
        Body::GetRPCMethods,
        Body::GetRPCMethodsResponse { method_list: vec!["GetRPCMethods".into(), "Inform".into()] },
        spv_fault(),
        Body::SetParameterValues {
            parameter_list: vec![pv("Device.ManagementServer.PeriodicInformInterval", "60", ValueType::UnsignedInt)],
            parameter_key: "pk".into(),
        },
        Body::GetParameterValues {
            parameter_names: vec!["Device.DeviceInfo.".into(), "Device.ManagementServer.URL".into()],
        },
        Body::GetParameterNames { parameter_path: "Device.".into(), next_level: true },
        Body::SetParameterAttributes {
            parameter_list: vec![SetParameterAttributesStruct {
                name: "Device.ManagementServer.URL".into(),
                notification_change: true,
                notification: Some(2),
                access_list_change: true,
                access_list: vec!["Subscriber".into()],
            }],
        },
        Body::GetParameterAttributes { parameter_names: vec!["Device.DeviceInfo.SoftwareVersion".into()] },
        Body::AddObject { object_name: "Device.NAT.PortMapping.".into(), parameter_key: "a".into() },
        Body::DeleteObject { object_name: "Device.NAT.PortMapping.1.".into(), parameter_key: "d".into() },
        Body::Reboot { command_key: "rb".into() },
        Body::Download(download()),
        Body::Upload(Upload {
            command_key: "up".into(),
            file_type: "2 Vendor Log File".into(),
            url: "http://files.example/log".into(),
            username: String::new(),
            password: String::new(),
            delay_seconds: 5,
        }),
        Body::FactoryReset,
        Body::GetQueuedTransfers,
        Body::GetAllQueuedTransfers,
        Body::ScheduleInform { delay_seconds: 30, command_key: "si".into() },
        Body::ScheduleDownload(ScheduleDownload {
            command_key: "sd".into(),
            file_type: "1 Firmware Upgrade Image".into(),
            url: "http://files.example/fw.bin".into(),
            username: String::new(),
            password: String::new(),
            file_size: 0,
            target_file_name: String::new(),
            time_window_list: vec![TimeWindowStruct {
                window_start: 0,
                window_end: 3600,
                window_mode: "1 At Any Time".into(),
                user_message: String::new(),
                max_retries: -1,
            }],
        }),
        Body::CancelTransfer { command_key: "dl".into() },
        Body::ChangeDUState {
            operations: vec![
                OperationStruct::Install {
                    url: "http://files.example/du.ipk".into(),
                    uuid: Some("6ba7b810-9dad-11d1-80b4-00c04fd430c8".into()),
                    username: None,
                    password: None,
                    execution_env_ref: Some("Device.SoftwareModules.ExecEnv.1".into()),
                },
                OperationStruct::Update {
                    uuid: None,
                    version: Some("2".into()),
                    url: None,
                    username: None,
                    password: None,
                },
                OperationStruct::Uninstall {
                    uuid: "6ba7b810-9dad-11d1-80b4-00c04fd430c8".into(),
                    version: None,
                    execution_env_ref: None,
                },
            ],
            command_key: "du".into(),
        },
        Body::SetParameterValuesResponse { status: 0 },
        Body::GetParameterValuesResponse {
            parameter_list: vec![pv("Device.DeviceInfo.UpTime", "42", ValueType::UnsignedInt)],
        },
        Body::GetParameterNamesResponse {
            parameter_list: vec![
                ParameterInfoStruct { name: "Device.DeviceInfo.".into(), writable: false },
                ParameterInfoStruct { name: "Device.DeviceInfo.ProvisioningCode".into(), writable: true },
            ],
        },
        Body::SetParameterAttributesResponse,
        Body::GetParameterAttributesResponse {
            parameter_list: vec![ParameterAttributeStruct {
                name: "Device.DeviceInfo.SoftwareVersion".into(),
                notification: 2,
                access_list: vec![],
            }],
        },
        Body::AddObjectResponse { instance_number: 3, status: 0 },
        Body::DeleteObjectResponse { status: 0 },
        Body::RebootResponse,
        Body::DownloadResponse {
            status: 1,
            start_time: "0001-01-01T00:00:00Z".into(),
            complete_time: "0001-01-01T00:00:00Z".into(),
        },
        Body::UploadResponse { status: 0, start_time: T.into(), complete_time: T.into() },
        Body::FactoryResetResponse,
        Body::GetQueuedTransfersResponse {
            transfer_list: vec![QueuedTransferStruct { command_key: "dl".into(), state: 2 }],
        },
        Body::GetAllQueuedTransfersResponse {
            transfer_list: vec![AllQueuedTransferStruct {
                command_key: "dl".into(),
                state: 1,
                is_download: true,
                file_type: "1 Firmware Upgrade Image".into(),
                file_size: 1024,
                target_file_name: "fw.bin".into(),
            }],
        },
        Body::ScheduleInformResponse,
        Body::ScheduleDownloadResponse,
        Body::CancelTransferResponse,
        Body::ChangeDUStateResponse,
        inform(),
        Body::TransferComplete(TransferComplete {
            command_key: "dl".into(),
            fault_struct: fault.clone(),
            start_time: T.into(),
            complete_time: T.into(),
        }),
        Body::AutonomousTransferComplete(AutonomousTransferComplete {
            announce_url: String::new(),
            transfer_url: "http://files.example/fw.bin".into(),
            is_download: true,
            file_type: "1 Firmware Upgrade Image".into(),
            file_size: 1024,
            target_file_name: String::new(),
            fault_struct: FaultStruct::default(),
            start_time: T.into(),
            complete_time: T.into(),
        }),
        Body::RequestDownload {
            file_type: "1 Firmware Upgrade Image".into(),
            file_type_arg: vec![ArgStruct { name: "Version".into(), value: "2.0".into() }],
        },
        Body::DUStateChangeComplete { results: vec![result(false)], command_key: "du".into() },
        Body::AutonomousDUStateChangeComplete { results: vec![result(true)] },
        Body::Kicked(Kicked { command: "c".into(), referer: "r".into(), arg: "a".into(), next: "http://n".into() }),
        Body::InformResponse { max_envelopes: 1 },
        Body::TransferCompleteResponse,
        Body::AutonomousTransferCompleteResponse,
        Body::RequestDownloadResponse,
        Body::DUStateChangeCompleteResponse,
        Body::AutonomousDUStateChangeCompleteResponse,
        Body::KickedResponse { next_url: "http://next".into() },
    ];
    let mut seen = [false; VARIANTS];
    for b in &bodies {
        seen[index(b)] = true;
    }
    assert!(seen.iter().all(|s| *s), "a variant lacks a sample");
    bodies.into_iter().map(|b| (b.method_name(), b)).collect()
}

/// Exhaustive: adding a variant breaks the build here.
pub fn index(b: &Body) -> usize {
    match b {
        Body::GetRPCMethods => 0,
        Body::GetRPCMethodsResponse { .. } => 1,
        Body::Fault(_) => 2,
        Body::SetParameterValues { .. } => 3,
        Body::GetParameterValues { .. } => 4,
        Body::GetParameterNames { .. } => 5,
        Body::SetParameterAttributes { .. } => 6,
        Body::GetParameterAttributes { .. } => 7,
        Body::AddObject { .. } => 8,
        Body::DeleteObject { .. } => 9,
        Body::Reboot { .. } => 10,
        Body::Download(_) => 11,
        Body::Upload(_) => 12,
        Body::FactoryReset => 13,
        Body::GetQueuedTransfers => 14,
        Body::GetAllQueuedTransfers => 15,
        Body::ScheduleInform { .. } => 16,
        Body::ScheduleDownload(_) => 17,
        Body::CancelTransfer { .. } => 18,
        Body::ChangeDUState { .. } => 19,
        Body::SetParameterValuesResponse { .. } => 20,
        Body::GetParameterValuesResponse { .. } => 21,
        Body::GetParameterNamesResponse { .. } => 22,
        Body::SetParameterAttributesResponse => 23,
        Body::GetParameterAttributesResponse { .. } => 24,
        Body::AddObjectResponse { .. } => 25,
        Body::DeleteObjectResponse { .. } => 26,
        Body::RebootResponse => 27,
        Body::DownloadResponse { .. } => 28,
        Body::UploadResponse { .. } => 29,
        Body::FactoryResetResponse => 30,
        Body::GetQueuedTransfersResponse { .. } => 31,
        Body::GetAllQueuedTransfersResponse { .. } => 32,
        Body::ScheduleInformResponse => 33,
        Body::ScheduleDownloadResponse => 34,
        Body::CancelTransferResponse => 35,
        Body::ChangeDUStateResponse => 36,
        Body::Inform(_) => 37,
        Body::TransferComplete(_) => 38,
        Body::AutonomousTransferComplete(_) => 39,
        Body::RequestDownload { .. } => 40,
        Body::DUStateChangeComplete { .. } => 41,
        Body::AutonomousDUStateChangeComplete { .. } => 42,
        Body::Kicked(_) => 43,
        Body::InformResponse { .. } => 44,
        Body::TransferCompleteResponse => 45,
        Body::AutonomousTransferCompleteResponse => 46,
        Body::RequestDownloadResponse => 47,
        Body::DUStateChangeCompleteResponse => 48,
        Body::AutonomousDUStateChangeCompleteResponse => 49,
        Body::KickedResponse { .. } => 50,
    }
}
