//! CWMP fault codes (TR-069 Amd 6, A.5.1 Table 19 for the CPE, A.5.2 for the ACS;
//! `cwmp-1-4.xsd` `CPEFaultCodeType`/`ACSFaultCodeType`).
//!
//! Every layer maps its errors to a [`FaultCode`] here, in one place, so the wire shows
//! the same code for the same cause wherever it was found.

use core::fmt;

/// A CPE or ACS fault code as carried in `cwmp:Fault/FaultCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FaultCode(pub u32);

impl FaultCode {
    pub const METHOD_NOT_SUPPORTED: FaultCode = FaultCode(9000);
    pub const REQUEST_DENIED: FaultCode = FaultCode(9001);
    pub const INTERNAL_ERROR: FaultCode = FaultCode(9002);
    pub const INVALID_ARGUMENTS: FaultCode = FaultCode(9003);
    pub const RESOURCES_EXCEEDED: FaultCode = FaultCode(9004);
    pub const INVALID_PARAMETER_NAME: FaultCode = FaultCode(9005);
    pub const INVALID_PARAMETER_TYPE: FaultCode = FaultCode(9006);
    pub const INVALID_PARAMETER_VALUE: FaultCode = FaultCode(9007);
    pub const NON_WRITABLE_PARAMETER: FaultCode = FaultCode(9008);
    pub const NOTIFICATION_REQUEST_REJECTED: FaultCode = FaultCode(9009);
    pub const FILE_TRANSFER_FAILURE: FaultCode = FaultCode(9010);
    pub const UPLOAD_FAILURE: FaultCode = FaultCode(9011);
    pub const FILE_TRANSFER_SERVER_AUTHENTICATION_FAILURE: FaultCode = FaultCode(9012);
    pub const UNSUPPORTED_PROTOCOL_FOR_FILE_TRANSFER: FaultCode = FaultCode(9013);
    pub const FILE_TRANSFER_FAILURE_MULTICAST: FaultCode = FaultCode(9014);
    pub const FILE_TRANSFER_FAILURE_CONTACT: FaultCode = FaultCode(9015);
    pub const FILE_TRANSFER_FAILURE_ACCESS: FaultCode = FaultCode(9016);
    pub const FILE_TRANSFER_FAILURE_COMPLETE: FaultCode = FaultCode(9017);
    pub const FILE_TRANSFER_FAILURE_CORRUPTED: FaultCode = FaultCode(9018);
    pub const FILE_TRANSFER_FAILURE_AUTHENTICATION: FaultCode = FaultCode(9019);
    pub const FILE_TRANSFER_FAILURE_TIME_WINDOW: FaultCode = FaultCode(9020);
    pub const CANCELATION_NOT_PERMITTED: FaultCode = FaultCode(9021);

    /// ACS faults (A.5.2).
    pub const ACS_METHOD_NOT_SUPPORTED: FaultCode = FaultCode(8000);
    pub const ACS_REQUEST_DENIED: FaultCode = FaultCode(8001);
    pub const ACS_INTERNAL_ERROR: FaultCode = FaultCode(8002);
    pub const ACS_INVALID_ARGUMENTS: FaultCode = FaultCode(8003);
    pub const ACS_RESOURCES_EXCEEDED: FaultCode = FaultCode(8004);
    pub const ACS_RETRY_REQUEST: FaultCode = FaultCode(8005);
    pub const ACS_VERSION_NOT_SUPPORTED: FaultCode = FaultCode(8006);

    /// The fault string the spec gives for this code.
    pub fn description(self) -> &'static str {
        match self.0 {
            9000 => "Method not supported",
            9001 => "Request denied",
            9002 => "Internal error",
            9003 => "Invalid arguments",
            9004 => "Resources exceeded",
            9005 => "Invalid parameter name",
            9006 => "Invalid parameter type",
            9007 => "Invalid parameter value",
            9008 => "Attempt to set a non-writable parameter",
            9009 => "Notification request rejected",
            9010 => "File transfer failure",
            9011 => "Upload failure",
            9012 => "File transfer server authentication failure",
            9013 => "Unsupported protocol for file transfer",
            9014 => "File transfer failure: unable to join multicast group",
            9015 => "File transfer failure: unable to contact file server",
            9016 => "File transfer failure: unable to access file",
            9017 => "File transfer failure: unable to complete download",
            9018 => "File transfer failure: file corrupted",
            9019 => "File transfer failure: file authentication failure",
            9020 => "File transfer failure: unable to complete download within specified time windows",
            9021 => "Cancelation of file transfer not permitted in current transfer state",
            9022 => "Invalid UUID format",
            9023 => "Unknown Execution Environment",
            9024 => "Disabled Execution Environment",
            9025 => "Deployment Unit to Execution Environment mismatch",
            9026 => "Duplicate Deployment Unit",
            9027 => "System resources exceeded",
            9028 => "Unknown Deployment Unit",
            9029 => "Invalid Deployment Unit state",
            9030 => "Invalid Deployment Unit update: downgrade not permitted",
            9031 => "Invalid Deployment Unit update: version not specified",
            9032 => "Invalid Deployment Unit update: version already exists",
            8000 => "Method not supported",
            8001 => "Request denied",
            8002 => "Internal error",
            8003 => "Invalid arguments",
            8004 => "Resources exceeded",
            8005 => "Retry request",
            8006 => "CWMP version not supported",
            _ => "Vendor defined fault",
        }
    }

    /// SOAP `faultcode`: "Client" when the request itself was at fault, "Server" otherwise
    /// (TR-069 A.5.1 Table 19 lists the split per code: 9003, 9005-9008 and 9021 are Client).
    pub fn soap_fault_code(self) -> &'static str {
        match self.0 {
            9003 | 9005..=9008 | 9021 => "Client",
            _ => "Server",
        }
    }

    /// True for codes a CPE may send (9000-9899).
    pub fn is_cpe_code(self) -> bool {
        (9000..=9899).contains(&self.0)
    }
}

impl fmt::Display for FaultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0, self.description())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_server_split() {
        assert_eq!(FaultCode::INVALID_ARGUMENTS.soap_fault_code(), "Client");
        assert_eq!(FaultCode::METHOD_NOT_SUPPORTED.soap_fault_code(), "Server");
        assert_eq!(FaultCode::INTERNAL_ERROR.soap_fault_code(), "Server");
        assert!(FaultCode(9899).is_cpe_code());
        assert!(!FaultCode::ACS_RETRY_REQUEST.is_cpe_code());
    }
}
